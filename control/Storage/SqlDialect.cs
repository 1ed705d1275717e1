using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Whim.Control.Storage;

/// <summary>
/// Everything that differs between SQLite and PostgreSQL: how connections are made, which migration scripts apply,
/// whether writers must queue, and the full-text statements. Every other statement is shared SQL text with
/// <c>@name</c> parameters, which both providers accept.
/// </summary>
internal abstract class SqlDialect : IAsyncDisposable
{
    public abstract string Name { get; }

    /// <summary>SQLite allows one writer at a time; queueing writers in-process avoids busy errors under load.</summary>
    public abstract bool SerializesWrites { get; }

    public abstract DbConnection CreateConnection();

    /// <summary>Statements run once per connection before use (pragmas).</summary>
    public virtual string? ConnectionSetup => null;

    /// <summary>Inserts one indexed text fragment.</summary>
    public abstract string InsertSearchText { get; }

    /// <summary>Removes the index of one stream (truncation).</summary>
    public const string DeleteSearchText = "DELETE FROM history_text WHERE task_id = @task AND stream = @stream";

    /// <summary>Keyword search in one workspace: parameters @workspace, @query, @kind (null = all), @task (null = all), @limit.</summary>
    public abstract string SearchStatement { get; }

    /// <summary>Turns the user's words into the dialect's query syntax, never letting operators through.</summary>
    public abstract string ToSearchQuery(string words);

    /// <summary>True when <paramref name="e"/> is a unique or foreign-key constraint violation.</summary>
    public static bool IsConstraintViolation(DbException e) =>
        e is SqliteException { SqliteErrorCode: 19 } || e is PostgresException { SqlState: "23505" or "23503" };

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal sealed class SqliteDialect(string path) : SqlDialect
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        ForeignKeys = true,
        Pooling = true,
        DefaultTimeout = 60,
    }.ToString();

    public override string Name => "sqlite";

    public override bool SerializesWrites => true;

    public override DbConnection CreateConnection() => new SqliteConnection(_connectionString);

    public override string ConnectionSetup => "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;";

    public override string InsertSearchText =>
        "INSERT INTO history_text (content, workspace_id, task_id, stream, kind, position, at) VALUES (@content, @workspace, @task, @stream, @kind, @position, @at)";

    public override string SearchStatement => """
        SELECT task_id, stream, kind, position, at, snippet(history_text, 0, '[', ']', '…', 16), bm25(history_text)
        FROM history_text
        WHERE history_text MATCH @query AND workspace_id = @workspace
          AND (@kind IS NULL OR kind = @kind) AND (@task IS NULL OR task_id = @task)
        ORDER BY bm25(history_text)
        LIMIT @limit
        """;

    public override string ToSearchQuery(string words)
    {
        // Each word becomes a quoted FTS5 string, so user text is never read as query syntax; words are ANDed.
        var parts = words.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(' ', parts.Select(static p => "\"" + p.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
    }
}

internal sealed class PostgresDialect(string connectionString) : SqlDialect
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    public override string Name => "postgres";

    public override bool SerializesWrites => false;

    public override DbConnection CreateConnection() => _source.CreateConnection();

    public override string InsertSearchText =>
        "INSERT INTO history_text (content, workspace_id, task_id, stream, kind, position, at) VALUES (@content, @workspace, @task, @stream, @kind, @position, @at)";

    public override string SearchStatement => """
        SELECT task_id, stream, kind, position, at,
               ts_headline('simple', content, plainto_tsquery('simple', @query), 'StartSel=[, StopSel=], MaxWords=16, MinWords=4'),
               -ts_rank(search, plainto_tsquery('simple', @query))
        FROM history_text
        WHERE search @@ plainto_tsquery('simple', @query) AND workspace_id = @workspace
          AND (CAST(@kind AS TEXT) IS NULL OR kind = @kind) AND (CAST(@task AS TEXT) IS NULL OR task_id = @task)
        ORDER BY 7
        LIMIT @limit
        """;

    public override string ToSearchQuery(string words) => words;

    public override ValueTask DisposeAsync() => _source.DisposeAsync();
}
