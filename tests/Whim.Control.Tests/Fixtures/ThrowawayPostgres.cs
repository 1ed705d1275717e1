using System.Diagnostics;
using Npgsql;
using Whim.Testing;

namespace Whim.Control.Tests.Fixtures;

/// <summary>
/// A throw-away PostgreSQL cluster for the test run: initdb into a temp folder, pg_ctl start on a free loopback
/// port (as the 'postgres' user when the tests run as root), stopped and deleted at the end. Each test host gets its
/// own database in it. Installed by scripts/deps/control.sh; a missing install fails loudly.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private string _folder = string.Empty;
    private string _bin = string.Empty;

    public int Port { get; private set; }

    public int PoolSize { get; init; } = 50;

    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size={PoolSize}";

    public async Task StartAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Join(d, "bin")).Where(d => File.Exists(Path.Join(d, "pg_ctl"))).Order().LastOrDefault() ?? string.Empty
            : string.Empty;
        if (_bin.Length == 0)
        {
            throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): run scripts/deps/control.sh");
        }

        _folder = Directory.CreateTempSubdirectory("whim-pg-").FullName;
        Port = LoopbackPort.Reserve();
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "-R", "postgres:postgres", _folder);
        }

        var data = Path.Join(_folder, "data");
        await RunAsPostgresAsync(Path.Join(_bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        await RunAsPostgresAsync(
            Path.Join(_bin, "pg_ctl"), "start", "-w", "-t", "60", "-D", data, "-l", Path.Join(_folder, "server.log"),
            "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300");
    }

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "whim_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        if (_bin.Length > 0 && _folder.Length > 0)
        {
            NpgsqlConnection.ClearAllPools();
            await RunAsPostgresAsync(Path.Join(_bin, "pg_ctl"), "stop", "-w", "-m", "immediate", "-D", Path.Join(_folder, "data"));
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static Task RunAsPostgresAsync(string file, params string[] args) =>
        Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stdout}{await stderr}");
        }
    }
}
