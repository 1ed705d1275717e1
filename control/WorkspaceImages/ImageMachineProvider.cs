using System.Security.Cryptography;
using System.Text.Json;
using Whim.Control.Images.Builds;
using Whim.Control.Images.Machines;
using Whim.Control.Images.Reserves;
using Whim.Control.Machines;
using Whim.Control.Tasks;
using ContainerMachines = Whim.Control.Images.Machines.IMachineProvider;
using TaskMachines = Whim.Control.Machines.IMachineProvider;

namespace Whim.Control.WorkspaceImages;

/// <summary>
/// The configuration a task's machine is given at launch (<c>/whim/task/config.json</c>): who the task is and the
/// internal token it calls the control API with. The file is the token's own place; it is never logged.
/// </summary>
internal sealed record InjectedTaskConfig(
    string TaskId, string WorkspaceId, string DisplayId, string Branch, string SourceBranch, string ImageRef, string InternalToken);

/// <summary>
/// Runs tasks on machines of the images feature (<c>Images:Enabled</c>): a launch resolves the task's image (its
/// source branch's active image, else the workspace's, else the default runtime) and claims a warm reserve of the pool
/// <c>(workspace, source branch)</c> — resume + inject the task's config — or cold-creates one. The task records the
/// machine and how it was had. Sleep and completion suspend the machine (pause), wake resumes it, archive removes it.
/// This is the one task-launch path when images are on: the task lifecycle talks to this control-side provider, which
/// drives the container-level <see cref="ContainerMachines"/> (podman here) through <see cref="ReservePools"/>.
/// </summary>
internal sealed partial class ImageMachineProvider(
    ReservePools pools,
    ImageService images,
    ContainerMachines machines,
    TaskStore tasks,
    ILogger<ImageMachineProvider> logger) : TaskMachines
{
    public async Task<MachineLaunched> LaunchAsync(MachineLaunch launch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var image = await images.ResolveImageAsync(launch.WorkspaceId, launch.SourceBranch, cancellationToken);
        var config = JsonSerializer.SerializeToUtf8Bytes(
            new InjectedTaskConfig(launch.TaskId, launch.WorkspaceId, launch.DisplayId, launch.Branch, launch.SourceBranch, image, launch.InternalToken.Reveal()),
            ControlJson.Default.InjectedTaskConfig);
        MachineClaim claim;
        try
        {
            claim = await pools.ClaimAsync(new ReservePoolKey(launch.WorkspaceId, launch.SourceBranch), image, config, cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(config);
        }

        var source = claim.Warm ? TaskMachine.Reserve : TaskMachine.Cold;
        Log.Launched(logger, launch.DisplayId, claim.MachineId, source, image, claim.Elapsed.TotalMilliseconds);
        // The machine's service addresses are not known to the provider; the runtime or an operator registers them
        // with PUT /tasks/{taskId}/machine.
        return new MachineLaunched(new MachineEndpoints(null, null, null), new TaskMachine(claim.MachineId, source));
    }

    public Task SleepAsync(string taskId, CancellationToken cancellationToken) => OnMachineAsync(taskId, "sleep", machines.PauseAsync, cancellationToken);

    /// <summary>SPEC §2.7 step 7: a completed task's machine is suspended, so a later wake resumes it where it was.</summary>
    public Task StopAsync(string taskId, CancellationToken cancellationToken) => OnMachineAsync(taskId, "complete", machines.PauseAsync, cancellationToken);

    public Task RemoveAsync(string taskId, CancellationToken cancellationToken) => OnMachineAsync(taskId, "archive", machines.RemoveAsync, cancellationToken);

    public Task WakeAsync(string taskId, CancellationToken cancellationToken) =>
        OnMachineAsync(
            taskId,
            "wake",
            async (id, ct) =>
            {
                var state = (await machines.InspectAsync(id, ct)).State;
                switch (state)
                {
                    case MachineState.Paused:
                        await machines.UnpauseAsync(id, ct);
                        break;
                    case MachineState.Created or MachineState.Stopped:
                        await machines.StartAsync(id, ct);
                        break;
                    case MachineState.Missing:
                        throw new MachineProviderException($"machine {id} no longer exists");
                }
            },
            cancellationToken);

    private async Task OnMachineAsync(string taskId, string transition, Func<string, CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        var machine = (await tasks.GetAsync(taskId, cancellationToken))?.View.Machine;
        if (machine is null)
        {
            // Launched before images were enabled (or never launched): there is no machine to act on.
            Log.NoMachine(logger, taskId, transition);
            return;
        }

        await action(machine.Id, cancellationToken);
        Log.Transitioned(logger, taskId, transition, machine.Id);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, EventName = "TaskMachineLaunched", Level = LogLevel.Information, Message = "Task {Task} runs on machine {MachineId} ({Source}, image {Image}) after {Milliseconds} ms")]
        public static partial void Launched(ILogger logger, string task, string machineId, string source, string image, double milliseconds);

        [LoggerMessage(EventId = 401, EventName = "TaskMachineTransition", Level = LogLevel.Information, Message = "Task {TaskId} {Transition}: machine {MachineId}")]
        public static partial void Transitioned(ILogger logger, string taskId, string transition, string machineId);

        [LoggerMessage(EventId = 402, EventName = "TaskWithoutMachine", Level = LogLevel.Information, Message = "Task {TaskId} {Transition}: it has no machine")]
        public static partial void NoMachine(ILogger logger, string taskId, string transition);
    }
}
