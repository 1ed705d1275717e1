namespace Whim.Control.Images.Machines;

/// <summary>What a machine is created from.</summary>
/// <param name="Image">The image reference (local storage name or registry reference).</param>
/// <param name="Name">A unique name for the machine.</param>
/// <param name="Labels">Labels that identify the machine's pool and image.</param>
/// <param name="Command">The command the machine runs; empty for the image's default.</param>
public sealed record MachineSpec(string Image, string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Command);

/// <summary>The lifecycle state of a machine, in provider-neutral terms.</summary>
public enum MachineState
{
    /// <summary>Created, never started.</summary>
    Created,

    /// <summary>Running (podman running; cloud API "started").</summary>
    Running,

    /// <summary>Frozen with its memory kept (podman paused; cloud API "suspended").</summary>
    Paused,

    /// <summary>Its processes ended.</summary>
    Stopped,

    /// <summary>No such machine.</summary>
    Missing,
}

/// <summary>A machine as the provider sees it.</summary>
public sealed record MachineInfo(string Id, MachineState State, string Image);

/// <summary>
/// The machines reserves and tasks run on. Podman implements it locally; a cloud machines API maps onto it
/// (create → create machine from image, start → start, pause → suspend, unpause → resume, remove → destroy,
/// inspect → get machine state, inject → write a file through the machine's files/exec API). See README.
/// </summary>
public interface IMachineProvider
{
    /// <summary>Creates (does not start) a machine; returns its id.</summary>
    Task<string> CreateAsync(MachineSpec spec, CancellationToken cancellationToken);

    Task StartAsync(string machineId, CancellationToken cancellationToken);

    /// <summary>Freezes a running machine so it costs no compute (cloud: suspend).</summary>
    Task PauseAsync(string machineId, CancellationToken cancellationToken);

    /// <summary>Resumes a paused machine (cloud: resume).</summary>
    Task UnpauseAsync(string machineId, CancellationToken cancellationToken);

    /// <summary>Removes a machine in any state; removing a missing one is not an error.</summary>
    Task RemoveAsync(string machineId, CancellationToken cancellationToken);

    Task<MachineInfo> InspectAsync(string machineId, CancellationToken cancellationToken);

    /// <summary>Gives a machine the task's configuration (visible inside at <c>/whim/task/config.json</c>).</summary>
    Task InjectTaskConfigAsync(string machineId, ReadOnlyMemory<byte> config, CancellationToken cancellationToken);
}

/// <summary>A provider operation failed (the tool's message, never secrets).</summary>
public sealed class MachineProviderException(string message, Exception? inner = null) : Exception(message, inner);
