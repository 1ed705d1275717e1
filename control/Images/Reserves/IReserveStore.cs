namespace Whim.Control.Images.Reserves;

/// <summary>Persistent state of reserve pools and their machines (the control API's database; in memory when not wired).</summary>
public interface IReserveStore
{
    /// <summary>Creates or replaces a pool's desired state.</summary>
    Task SetPoolAsync(ReservePool pool, CancellationToken cancellationToken);

    Task<ReservePool?> GetPoolAsync(ReservePoolKey key, CancellationToken cancellationToken);

    /// <summary>Every pool, or those of one workspace.</summary>
    Task<IReadOnlyList<ReservePool>> PoolsAsync(string? workspaceId, CancellationToken cancellationToken);

    Task<IReadOnlyList<ReserveMachine>> MachinesAsync(ReservePoolKey key, CancellationToken cancellationToken);

    /// <summary>Adds or replaces a machine record.</summary>
    Task PutMachineAsync(ReserveMachine machine, CancellationToken cancellationToken);

    Task RemoveMachineAsync(string machineId, CancellationToken cancellationToken);

    /// <summary>Atomically takes one warm machine of <paramref name="imageRef"/> out of the pool (oldest first); null when none.</summary>
    Task<ReserveMachine?> TryClaimAsync(ReservePoolKey key, string imageRef, CancellationToken cancellationToken);
}

/// <summary>An in-memory store; claims are atomic under one lock.</summary>
public sealed class InMemoryReserveStore : IReserveStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ReservePoolKey, ReservePool> _pools = [];
    private readonly Dictionary<string, ReserveMachine> _machines = new(StringComparer.Ordinal);

    public Task SetPoolAsync(ReservePool pool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        lock (_gate)
        {
            _pools[pool.Key] = pool;
        }

        return Task.CompletedTask;
    }

    public Task<ReservePool?> GetPoolAsync(ReservePoolKey key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_pools.GetValueOrDefault(key));
        }
    }

    public Task<IReadOnlyList<ReservePool>> PoolsAsync(string? workspaceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<ReservePool>>([.. _pools.Values.Where(p => workspaceId is null || p.Key.WorkspaceId == workspaceId)]);
        }
    }

    public Task<IReadOnlyList<ReserveMachine>> MachinesAsync(ReservePoolKey key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<ReserveMachine>>([.. _machines.Values.Where(m => m.Pool == key).OrderBy(m => m.CreatedAt)]);
        }
    }

    public Task PutMachineAsync(ReserveMachine machine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(machine);
        lock (_gate)
        {
            _machines[machine.MachineId] = machine;
        }

        return Task.CompletedTask;
    }

    public Task RemoveMachineAsync(string machineId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _machines.Remove(machineId);
        }

        return Task.CompletedTask;
    }

    public Task<ReserveMachine?> TryClaimAsync(ReservePoolKey key, string imageRef, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ReserveMachine? oldest = null;
            foreach (var machine in _machines.Values)
            {
                if (machine.Pool == key && machine.State == ReserveState.Warm && machine.ImageRef == imageRef
                    && (oldest is null || machine.CreatedAt < oldest.CreatedAt))
                {
                    oldest = machine;
                }
            }

            if (oldest is not null)
            {
                _machines.Remove(oldest.MachineId);
            }

            return Task.FromResult(oldest);
        }
    }
}
