namespace Whim.Control.Machines;

/// <summary>Where a task's runtime services answer: the LocalProxy (8080), the generation proxy (3001), the backup agent (8081).</summary>
internal sealed record MachineEndpoints(Uri? LocalProxy, Uri? GenerationProxy, Uri? BackupAgent);

/// <summary>Which machine runs a task and how it was had: <see cref="Source"/> is <c>reserve</c> (a warm reserve was claimed) or <c>cold</c> (created on demand).</summary>
internal sealed record TaskMachine(string Id, string Source)
{
    public const string Reserve = "reserve";
    public const string Cold = "cold";
}

/// <summary>A launched task's machine: where its services answer and, for providers that run real machines, which machine it is.</summary>
internal sealed record MachineLaunched(MachineEndpoints Endpoints, TaskMachine? Machine);

/// <summary>What a provider needs to start a task's machine. <see cref="InternalToken"/> goes into the machine only (environment or injected config), never into logs.</summary>
internal sealed record MachineLaunch(string TaskId, string WorkspaceId, string DisplayId, string Branch, string SourceBranch, Whim.Runtime.Logging.Secret InternalToken);

/// <summary>
/// Runs task machines. The control plane decides when (launch, idle sleep, wake, complete); a provider decides how
/// (<see cref="WorkspaceImages.ImageMachineProvider"/> — warm reserves or a cold create of the task's image — when
/// <c>Images:Enabled</c> is on, <see cref="LocalMachineProvider"/> for <c>up</c> and tests otherwise).
/// </summary>
internal interface IMachineProvider
{
    Task<MachineLaunched> LaunchAsync(MachineLaunch launch, CancellationToken cancellationToken);

    /// <summary>Idle sleep: the machine is suspended with its memory kept.</summary>
    Task SleepAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>Resumes a sleeping or completed task's machine.</summary>
    Task WakeAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>Completion: the machine stops costing compute; a later wake resumes it.</summary>
    Task StopAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>Archive: the machine is destroyed with its local data.</summary>
    Task RemoveAsync(string taskId, CancellationToken cancellationToken);
}

/// <summary>Settings of the local provider: the runtime services already running on this machine.</summary>
internal sealed class LocalMachineOptions
{
    public string LocalProxyUrl { get; set; } = "http://127.0.0.1:8080";

    public string GenerationProxyUrl { get; set; } = "http://127.0.0.1:3001";

    public string BackupAgentUrl { get; set; } = "http://127.0.0.1:8081";
}

/// <summary>
/// Treats this machine as every task's container: launching hands out the configured local endpoints, sleeping and
/// waking only record the transition (there is no process to freeze). It serves <c>up</c> and the tests.
/// </summary>
internal sealed partial class LocalMachineProvider(Microsoft.Extensions.Options.IOptions<LocalMachineOptions> options, ILogger<LocalMachineProvider> logger) : IMachineProvider
{
    public Task<MachineLaunched> LaunchAsync(MachineLaunch launch, CancellationToken cancellationToken)
    {
        Log.Transition(logger, "launch", launch.TaskId);
        var o = options.Value;
        return Task.FromResult(new MachineLaunched(new MachineEndpoints(new Uri(o.LocalProxyUrl), new Uri(o.GenerationProxyUrl), new Uri(o.BackupAgentUrl)), null));
    }

    public Task SleepAsync(string taskId, CancellationToken cancellationToken)
    {
        Log.Transition(logger, "sleep", taskId);
        return Task.CompletedTask;
    }

    public Task WakeAsync(string taskId, CancellationToken cancellationToken)
    {
        Log.Transition(logger, "wake", taskId);
        return Task.CompletedTask;
    }

    public Task StopAsync(string taskId, CancellationToken cancellationToken)
    {
        Log.Transition(logger, "stop", taskId);
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string taskId, CancellationToken cancellationToken)
    {
        Log.Transition(logger, "remove", taskId);
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, EventName = "LocalMachineTransition", Level = LogLevel.Information, Message = "Local machine {Transition} for task {TaskId}")]
        public static partial void Transition(ILogger logger, string transition, string taskId);
    }
}
