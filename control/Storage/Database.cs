using System.Data.Common;

namespace Whim.Control.Storage;

/// <summary>
/// The one data-access entry point: short-lived connections, reads without a transaction, writes inside one
/// transaction (so a multi-row change is all or nothing), SQLite writers queued in-process.
/// </summary>
internal sealed class Database(SqlDialect dialect) : IAsyncDisposable
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public SqlDialect Dialect { get; } = dialect;

    public async Task<T> ReadAsync<T>(Func<DbSession, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await work(new DbSession(connection, null, cancellationToken));
    }

    public async Task<T> WriteAsync<T>(Func<DbSession, Task<T>> work, CancellationToken cancellationToken)
    {
        if (Dialect.SerializesWrites)
        {
            await _writeGate.WaitAsync(cancellationToken);
        }

        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var result = await work(new DbSession(connection, transaction, cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            if (Dialect.SerializesWrites)
            {
                _writeGate.Release();
            }
        }
    }

    public Task WriteAsync(Func<DbSession, Task> work, CancellationToken cancellationToken) =>
        WriteAsync<bool>(async s => { await work(s); return true; }, cancellationToken);

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = Dialect.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (Dialect.ConnectionSetup is { } setup)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = setup;
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Dialect.DisposeAsync();
        _writeGate.Dispose();
    }
}

/// <summary>One open connection (and transaction, when writing) with small helpers for parameterised statements.</summary>
internal sealed class DbSession(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
{
    public CancellationToken CancellationToken { get; } = cancellationToken;

    public async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Create(sql, parameters);
        return await command.ExecuteNonQueryAsync(CancellationToken);
    }

    public async Task<object?> ScalarAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Create(sql, parameters);
        var value = await command.ExecuteScalarAsync(CancellationToken);
        return value is DBNull ? null : value;
    }

    public async Task<long> CountAsync(string sql, params (string Name, object? Value)[] parameters) =>
        Convert.ToInt64(await ScalarAsync(sql, parameters) ?? 0L, System.Globalization.CultureInfo.InvariantCulture);

    public async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, params (string Name, object? Value)[] parameters)
    {
        await using var command = Create(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(CancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(CancellationToken))
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    public async Task<T?> SingleAsync<T>(string sql, Func<DbDataReader, T> map, params (string Name, object? Value)[] parameters)
        where T : class
    {
        var rows = await QueryAsync(sql, map, parameters);
        return rows.Count == 0 ? null : rows[0];
    }

    private DbCommand Create(string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            // A NULL goes untyped: PostgreSQL infers its type from the column; statements that test a parameter for
            // NULL on its own cast it (CAST(@x AS TEXT)) so both databases read it the same way.
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }
}

/// <summary>Reads columns the same way from both providers (SQLite integers and PostgreSQL bigints).</summary>
internal static class Row
{
    public static string Text(this DbDataReader r, int i) => r.GetString(i);

    public static string? NullableText(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static long Long(this DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);

    public static long? NullableLong(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.Long(i);

    public static DateTimeOffset Time(this DbDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.Long(i));

    public static DateTimeOffset? NullableTime(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.Time(i);
}
