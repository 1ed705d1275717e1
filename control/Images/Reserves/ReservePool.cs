namespace Whim.Control.Images.Reserves;

/// <summary>Identifies a reserve pool: one per tracked branch of a workspace.</summary>
public sealed record ReservePoolKey(string WorkspaceId, string Branch)
{
    public override string ToString() => $"{WorkspaceId}/{Branch}";
}

/// <summary>A pool's desired state: how many warm machines, from which image (null: the default runtime image).</summary>
public sealed record ReservePool(ReservePoolKey Key, int Target, string ImageRef);

/// <summary>Where a reserve machine is in its life.</summary>
public enum ReserveState
{
    /// <summary>Being created, started, initialised and paused.</summary>
    Creating,

    /// <summary>Paused and ready to be claimed.</summary>
    Warm,

    /// <summary>Being removed (excess or stale image).</summary>
    Removing,
}

/// <summary>A machine held in a pool.</summary>
public sealed record ReserveMachine(string MachineId, ReservePoolKey Pool, string ImageRef, ReserveState State, DateTimeOffset CreatedAt);
