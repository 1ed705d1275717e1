using System.Collections.Concurrent;
using Whim.Control.Images.Machines;

namespace Whim.Control.Tests.Images;

/// <summary>Machines as dictionary entries: their states and the task configs injected into them.</summary>
internal sealed class MemoryMachines : IMachineProvider
{
    private readonly ConcurrentDictionary<string, MachineState> _states = new();

    public int Count => _states.Count;

    public int Paused => _states.Values.Count(s => s == MachineState.Paused);

    /// <summary>The config injected into each machine (by machine id).</summary>
    public ConcurrentDictionary<string, byte[]> Injected { get; } = new();

    public MachineState StateOf(string machineId) => _states.GetValueOrDefault(machineId, MachineState.Missing);

    /// <summary>When set, creating a machine fails as a provider would (podman missing, image gone).</summary>
    public bool FailCreate { get; set; }

    public Task<string> CreateAsync(MachineSpec spec, CancellationToken cancellationToken)
    {
        if (FailCreate)
        {
            throw new MachineProviderException("podman create: image not known");
        }

        _states[spec.Name] = MachineState.Created;
        return Task.FromResult(spec.Name);
    }

    public Task StartAsync(string machineId, CancellationToken cancellationToken) => Set(machineId, MachineState.Running);

    public Task PauseAsync(string machineId, CancellationToken cancellationToken) => Set(machineId, MachineState.Paused);

    public Task UnpauseAsync(string machineId, CancellationToken cancellationToken) => Set(machineId, MachineState.Running);

    public Task RemoveAsync(string machineId, CancellationToken cancellationToken)
    {
        _states.TryRemove(machineId, out _);
        return Task.CompletedTask;
    }

    public Task<MachineInfo> InspectAsync(string machineId, CancellationToken cancellationToken) =>
        Task.FromResult(new MachineInfo(machineId, StateOf(machineId), string.Empty));

    public Task InjectTaskConfigAsync(string machineId, ReadOnlyMemory<byte> config, CancellationToken cancellationToken)
    {
        Injected[machineId] = config.ToArray();
        return Task.CompletedTask;
    }

    private Task Set(string id, MachineState state)
    {
        _states[id] = state;
        return Task.CompletedTask;
    }
}
