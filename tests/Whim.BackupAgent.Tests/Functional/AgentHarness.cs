using System.Globalization;
using Whim.Testing;

namespace Whim.BackupAgent.Tests.Functional;

/// <summary>A temporary root with a home, the real control API with a task, and the agent's settings pointing at it.</summary>
public sealed class AgentHarness : IAsyncDisposable
{
    private AgentHarness(TempRoot root, ControlBackend backend, ControlTask task)
    {
        Root = root;
        Backend = backend;
        Task = task;
    }

    public TempRoot Root { get; }

    public ControlBackend Backend { get; }

    /// <summary>The task the agent backs up to, unless a test names another.</summary>
    public ControlTask Task { get; }

    /// <summary>The home the agent backs up (<c>/home/node</c> under the root).</summary>
    public string Home => Path.Join(Root.Path, "home", "node");

    public static async Task<AgentHarness> CreateAsync()
    {
        var root = new TempRoot("whim-backup-");
        var backend = await ControlBackend.StartAsync(Path.Join(root.Path, "control"));
        Directory.CreateDirectory(Path.Join(root.Path, "home", "node"));
        return new AgentHarness(root, backend, await backend.CreateTaskAsync());
    }

    /// <summary>Settings as environment variables (for a process) with fast retry timing for tests.</summary>
    public Dictionary<string, string?> Environment(string? homeRoot = null, ControlTask? task = null) => new()
    {
        ["WHIM_ROOT"] = homeRoot ?? Root.Path,
        ["WHIM_API_URL"] = Backend.BaseUrl,
        ["WHIM_INTERNAL_API_TOKEN"] = (task ?? Task).Token,
        ["WHIM_TASK_ID"] = (task ?? Task).Id,
        ["WHIM_BACKUP__SCANINTERVAL"] = "00:00:01",
        ["WHIM_BACKUP__DEBOUNCE"] = "00:00:00.05",
        ["WHIM_BACKUP__RETRYMINDELAY"] = "00:00:00.1",
        ["WHIM_BACKUP__RETRYMAXDELAY"] = "00:00:01",
        ["WHIM_CONTROL_API__MAXRETRIES"] = "1",
        ["WHIM_CONTROL_API__BASEDELAY"] = "00:00:00.05",
        ["WHIM_CONTROL_API__MAXDELAY"] = "00:00:00.2",
        ["WHIM_CONTROL_API__ATTEMPTTIMEOUT"] = "00:00:05",
        ["WHIM_CONTROL_API__TOTALTIMEOUT"] = "00:00:10",
        ["WHIM_CONTROL_API__BREAKDURATION"] = "00:00:00.5",
    };

    /// <summary>The same settings as command-line arguments for an in-process host on port 0.</summary>
    public string[] Arguments(string? homeRoot = null, ControlTask? task = null)
    {
        var args = new List<string> { "--urls", "http://127.0.0.1:0" };
        foreach (var (key, value) in Environment(homeRoot, task))
        {
            args.Add("--" + key["WHIM_".Length..].Replace("__", ":", StringComparison.Ordinal));
            args.Add(value!);
        }

        return [.. args];
    }

    /// <summary>Starts the agent in this process.</summary>
    public Task<StartedApp> StartAgentAsync(string? homeRoot = null, ControlTask? task = null) =>
        StartedApp.StartAsync(BackupAgentApp.Build(Arguments(homeRoot, task)));

    /// <summary>
    /// Starts the agent as its own process: for signals, and for tests that read its metrics (meters are
    /// process-wide, so in-process agents of parallel tests would share them).
    /// </summary>
    public Task<ServiceProcess> StartAgentProcessAsync(Dictionary<string, string?>? environment = null)
    {
        environment ??= Environment();
        return ServiceProcess.StartAsync("runtime/BackupAgent", "Whim.BackupAgent", environment["WHIM_ROOT"]!, environment);
    }

    /// <summary>The agent's <c>whim_backup_uploaded_bytes_total</c>: bytes the backend acknowledged as new.</summary>
    public static async Task<long> UploadedBytesAsync(LoopbackService agent)
    {
        var metrics = await agent.Client.GetStringAsync("metrics");
        var line = metrics.Split('\n').SingleOrDefault(l => l.StartsWith("whim_backup_uploaded_bytes_total", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>Appends to a file under the home, creating it.</summary>
    public string Append(string relative, byte[] bytes)
    {
        var path = Path.Join(Home, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        file.Write(bytes);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Backend.DisposeAsync();
        Root.Dispose();
    }
}
