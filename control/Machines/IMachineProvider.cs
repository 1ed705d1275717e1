namespace Whim.Control.Machines;

/// <summary>Where a task's runtime services answer: the LocalProxy (8080), the generation proxy (3001), the backup agent (8081).</summary>
internal sealed record MachineEndpoints(Uri? LocalProxy, Uri? GenerationProxy, Uri? BackupAgent);

/// <summary>What a provider needs to start a task's machine. <see cref="InternalToken"/> goes into the container's environment only.</summary>
internal sealed record MachineLaunch(string TaskId, string WorkspaceId, string DisplayId, string Branch, string SourceBranch, Whim.Runtime.Logging.Secret InternalToken);

/// <summary>
/// Runs task machines. The control plane decides when (launch, idle sleep, wake, complete); a provider decides how
/// (the podman provider in production, <see cref="LocalMachineProvider"/> for <c>up</c> and tests).
/// </summary>
internal interface IMachineProvider
{
    Task<MachineEndpoints> LaunchAsync(MachineLaunch launch, CancellationToken cancellationToken);

    Task SleepAsync(string taskId, CancellationToken cancellationToken);

    Task WakeAsync(string taskId, CancellationToken cancellationToken);

    Task StopAsync(string taskId, CancellationToken cancellationToken);
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
    public Task<MachineEndpoints> LaunchAsync(MachineLaunch launch, CancellationToken cancellationToken)
    {
        Log.Transition(logger, "launch", launch.TaskId);
        var o = options.Value;
        return Task.FromResult(new MachineEndpoints(new Uri(o.LocalProxyUrl), new Uri(o.GenerationProxyUrl), new Uri(o.BackupAgentUrl)));
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, EventName = "LocalMachineTransition", Level = LogLevel.Information, Message = "Local machine {Transition} for task {TaskId}")]
        public static partial void Transition(ILogger logger, string transition, string taskId);
    }
}
