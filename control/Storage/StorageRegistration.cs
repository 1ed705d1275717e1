using Microsoft.Extensions.Options;
using Whim.Runtime.Configuration;

namespace Whim.Control.Storage;

/// <summary>Creates the data folder and database on first start and applies pending migrations before the API serves.</summary>
internal sealed partial class StorageInitializer(Database database, MigrationRunner migrations, IOptions<StorageOptions> options, ILogger<StorageInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Value.DataDirectory);
        if (database.Dialect is SqliteDialect)
        {
            // WAL lets readers run beside the single writer; the setting is stored in the file, so once is enough.
            await database.ReadAsync(s => s.ExecuteAsync("PRAGMA journal_mode = WAL"), cancellationToken);
        }

        var applied = await migrations.ApplyAsync(cancellationToken);
        Log.Ready(logger, database.Dialect.Name, applied);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 101, EventName = "StorageReady", Level = LogLevel.Information, Message = "Storage ready on {Dialect}; {Applied} migrations applied")]
        public static partial void Ready(ILogger logger, string dialect, int applied);
    }
}

internal static class StorageRegistration
{
    /// <summary>Registers the database (SQLite file or PostgreSQL by <c>WHIM_DATABASE</c>), migrations and the start-up initializer.</summary>
    public static IServiceCollection AddControlStorage(this IServiceCollection services, IConfiguration configuration, WhimPaths paths)
    {
        var resolved = StorageOptions.From(configuration, paths);
        services.AddValidatedOptions<StorageOptions, StorageOptionsValidator>().Configure(o =>
        {
            o.DataDirectory = resolved.DataDirectory;
            o.Database = resolved.Database;
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            Directory.CreateDirectory(o.DataDirectory);
            SqlDialect dialect = o.UsesPostgres ? new PostgresDialect(o.Database) : new SqliteDialect(Path.Join(o.DataDirectory, "control.db"));
            return new Database(dialect);
        });
        services.AddSingleton<MigrationRunner>();
        services.AddHostedService<StorageInitializer>();
        return services;
    }
}
