using System.Collections.Concurrent;
using Whim.Control.Images.Machines;

namespace Whim.Control.Images.Tests.Machines;

/// <summary>An in-memory provider that enforces the same state transitions podman does.</summary>
internal sealed class FakeMachineProvider : IMachineProvider
{
    private readonly ConcurrentDictionary<string, (MachineState State, string Image)> _machines = new();
    private int _next;

    public ConcurrentDictionary<string, byte[]> Configs { get; } = new();

    public HashSet<string> FailUnpause { get; } = [];

    public IReadOnlyDictionary<string, (MachineState State, string Image)> Machines => _machines;

    public Task<string> CreateAsync(MachineSpec spec, CancellationToken cancellationToken)
    {
        var id = "m" + Interlocked.Increment(ref _next);
        _machines[id] = (MachineState.Created, spec.Image);
        return Task.FromResult(id);
    }

    public Task StartAsync(string machineId, CancellationToken cancellationToken) => Move(machineId, MachineState.Created, MachineState.Running);

    public Task PauseAsync(string machineId, CancellationToken cancellationToken) => Move(machineId, MachineState.Running, MachineState.Paused);

    public Task UnpauseAsync(string machineId, CancellationToken cancellationToken) =>
        FailUnpause.Contains(machineId) ? throw new MachineProviderException("unpause failed") : Move(machineId, MachineState.Paused, MachineState.Running);

    public Task RemoveAsync(string machineId, CancellationToken cancellationToken)
    {
        _machines.TryRemove(machineId, out _);
        return Task.CompletedTask;
    }

    public Task<MachineInfo> InspectAsync(string machineId, CancellationToken cancellationToken) =>
        Task.FromResult(_machines.TryGetValue(machineId, out var m) ? new MachineInfo(machineId, m.State, m.Image) : new MachineInfo(machineId, MachineState.Missing, ""));

    public Task InjectTaskConfigAsync(string machineId, ReadOnlyMemory<byte> config, CancellationToken cancellationToken)
    {
        if (!_machines.TryGetValue(machineId, out var m) || m.State != MachineState.Running)
        {
            throw new MachineProviderException($"{machineId} is not running");
        }

        Configs[machineId] = config.ToArray();
        return Task.CompletedTask;
    }

    private Task Move(string id, MachineState from, MachineState to)
    {
        if (!_machines.TryGetValue(id, out var m) || m.State != from)
        {
            throw new MachineProviderException($"{id}: cannot go from {(m.Image is null ? "missing" : m.State)} to {to}");
        }

        _machines[id] = (to, m.Image);
        return Task.CompletedTask;
    }
}
