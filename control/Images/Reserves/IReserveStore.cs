namespace Whim.Control.Images.Reserves;

/// <summary>Persistent state of reserve pools and their machines (the control API's database; in memory for now).</summary>
public interface IReserveStore
{
    /// <summary>Creates or replaces a pool's desired state.</summary>
    void SetPool(ReservePool pool);

    ReservePool? GetPool(ReservePoolKey key);

    IReadOnlyList<ReservePool> Pools();

    IReadOnlyList<ReserveMachine> Machines(ReservePoolKey key);

    /// <summary>Adds or replaces a machine record.</summary>
    void PutMachine(ReserveMachine machine);

    void RemoveMachine(string machineId);

    /// <summary>Atomically takes one warm machine of <paramref name="imageRef"/> out of the pool (oldest first); null when none.</summary>
    ReserveMachine? TryClaim(ReservePoolKey key, string imageRef);
}

/// <summary>An in-memory store; claims are atomic under one lock.</summary>
public sealed class InMemoryReserveStore : IReserveStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ReservePoolKey, ReservePool> _pools = [];
    private readonly Dictionary<string, ReserveMachine> _machines = new(StringComparer.Ordinal);

    public void SetPool(ReservePool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        lock (_gate)
        {
            _pools[pool.Key] = pool;
        }
    }

    public ReservePool? GetPool(ReservePoolKey key)
    {
        lock (_gate)
        {
            return _pools.GetValueOrDefault(key);
        }
    }

    public IReadOnlyList<ReservePool> Pools()
    {
        lock (_gate)
        {
            return [.. _pools.Values];
        }
    }

    public IReadOnlyList<ReserveMachine> Machines(ReservePoolKey key)
    {
        lock (_gate)
        {
            return [.. _machines.Values.Where(m => m.Pool == key)];
        }
    }

    public void PutMachine(ReserveMachine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        lock (_gate)
        {
            _machines[machine.MachineId] = machine;
        }
    }

    public void RemoveMachine(string machineId)
    {
        lock (_gate)
        {
            _machines.Remove(machineId);
        }
    }

    public ReserveMachine? TryClaim(ReservePoolKey key, string imageRef)
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

            return oldest;
        }
    }
}
