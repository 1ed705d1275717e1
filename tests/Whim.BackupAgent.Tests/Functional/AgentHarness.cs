using Whim.BackupAgent.Tests.StandIn;
using Whim.Testing;

namespace Whim.BackupAgent.Tests.Functional;

/// <summary>A temporary root with a home, the history stand-in, and the agent's settings pointing at it.</summary>
public sealed class AgentHarness : IAsyncDisposable
{
    public const string TaskId = "task-1";

    private AgentHarness(TempRoot root, HistoryStandIn backend)
    {
        Root = root;
        Backend = backend;
    }

    public TempRoot Root { get; }

    public HistoryStandIn Backend { get; }

    /// <summary>The home the agent backs up (<c>/home/node</c> under the root).</summary>
    public string Home => Path.Join(Root.Path, "home", "node");

    public static async Task<AgentHarness> CreateAsync()
    {
        var root = new TempRoot("whim-backup-");
        var backend = await HistoryStandIn.StartAsync(Path.Join(root.Path, "backend"));
        Directory.CreateDirectory(Path.Join(root.Path, "home", "node"));
        return new AgentHarness(root, backend);
    }

    /// <summary>Settings as environment variables (for a process) with fast retry timing for tests.</summary>
    public Dictionary<string, string?> Environment(string? homeRoot = null, string taskId = TaskId) => new()
    {
        ["WHIM_ROOT"] = homeRoot ?? Root.Path,
        ["WHIM_API_URL"] = Backend.BaseUrl,
        ["WHIM_INTERNAL_API_TOKEN"] = Backend.Token,
        ["WHIM_TASK_ID"] = taskId,
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
    public string[] Arguments(string? homeRoot = null, string taskId = TaskId)
    {
        var args = new List<string> { "--urls", "http://127.0.0.1:0" };
        foreach (var (key, value) in Environment(homeRoot, taskId))
        {
            args.Add("--" + key["WHIM_".Length..].Replace("__", ":", StringComparison.Ordinal));
            args.Add(value!);
        }

        return [.. args];
    }

    /// <summary>Starts the agent in this process.</summary>
    public Task<StartedApp> StartAgentAsync(string? homeRoot = null, string taskId = TaskId) =>
        StartedApp.StartAsync(BackupAgentApp.Build(Arguments(homeRoot, taskId)));

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
