namespace Whim.Control.Storage;

/// <summary>
/// Applies the dialect's ordered SQL scripts (embedded as <c>migrations/&lt;dialect&gt;/NNN_name.sql</c>) that the
/// <c>schema_migrations</c> table does not list yet, each in its own transaction with its record.
/// </summary>
internal sealed partial class MigrationRunner(Database database, ILogger<MigrationRunner> logger)
{
    public async Task<int> ApplyAsync(CancellationToken cancellationToken)
    {
        await database.WriteAsync(
            s => s.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)"),
            cancellationToken);
        var applied = await database.ReadAsync(
            s => s.QueryAsync("SELECT version FROM schema_migrations", static r => r.Text(0)),
            cancellationToken);
        var count = 0;
        foreach (var (version, sql) in Scripts(database.Dialect.Name))
        {
            if (applied.Contains(version))
            {
                continue;
            }

            await database.WriteAsync(
                async s =>
                {
                    await s.ExecuteAsync(sql);
                    await s.ExecuteAsync(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @at)",
                        ("@v", version), ("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                },
                cancellationToken);
            Log.Applied(logger, database.Dialect.Name, version);
            count++;
        }

        return count;
    }

    /// <summary>The embedded scripts of one dialect in version order.</summary>
    public static IReadOnlyList<(string Version, string Sql)> Scripts(string dialect)
    {
        var assembly = typeof(MigrationRunner).Assembly;
        var prefix = $"migrations/{dialect}/";
        var scripts = new List<(string, string)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            scripts.Add((Path.GetFileNameWithoutExtension(name[prefix.Length..]), reader.ReadToEnd()));
        }

        return scripts;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, EventName = "MigrationApplied", Level = LogLevel.Information, Message = "Applied {Dialect} migration {Version}")]
        public static partial void Applied(ILogger logger, string dialect, string version);
    }
}
