using Whim.Bootstrap.TaskSpec;
using Whim.Runtime.Files;

namespace Whim.Bootstrap.Supervision;

/// <summary>What <c>/whim/run/bootstrap-status.json</c> holds: the steps, the configuration problems, each service.</summary>
internal sealed record BootstrapStatus
{
    public string Phase { get; init; } = "steps";

    public List<StepStatus> Steps { get; init; } = [];

    public List<string> ConfigErrors { get; init; } = [];

    public List<ServiceStatus> Services { get; init; } = [];

    public int? AgentPid { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

internal sealed record StepStatus(string Name, bool Ok, long DurationMs, string? Detail);

internal sealed record ServiceStatus
{
    public required string Name { get; init; }

    public int Port { get; init; }

    public int? Pid { get; init; }

    /// <summary><c>starting</c>, <c>ready</c>, <c>restarting</c>, <c>stopped</c>, <c>failed</c>.</summary>
    public string State { get; init; } = "starting";

    public int Crashes { get; init; }

    public int? LastExitCode { get; init; }

    public DateTimeOffset? LastCrashAt { get; init; }
}

/// <summary>The status file, rewritten atomically on every change so readers never see half a document.</summary>
internal sealed class StatusFile(string path, TimeProvider time)
{
    private readonly Lock _gate = new();
    private BootstrapStatus _status = new();

    public string Path => path;

    public BootstrapStatus Current
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    public void Update(Func<BootstrapStatus, BootstrapStatus> change)
    {
        lock (_gate)
        {
            _status = change(_status) with { UpdatedAt = time.GetUtcNow() };
            AtomicFile.WriteJson(path, _status, BootstrapJsonContext.Default.BootstrapStatus, durable: false);
        }
    }

    public void UpdateService(string name, Func<ServiceStatus, ServiceStatus> change) =>
        Update(s => s with { Services = [.. s.Services.Select(x => x.Name == name ? change(x) : x)] });
}
