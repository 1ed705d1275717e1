namespace Whim.Control.Images.Reserves;

/// <summary>What a reconciliation pass must do to a pool.</summary>
internal sealed record ReservePlan(int Create, IReadOnlyList<ReserveMachine> Remove);

/// <summary>
/// The pure rule that keeps a pool at its target: machines of another image are removed (rotation after an
/// activation), warm machines above the target are removed (newest first, so the longest-initialised stay), and the
/// gap is filled with new machines. Machines still being created count toward the target.
/// </summary>
internal static class ReservePlanner
{
    public static ReservePlan Plan(ReservePool pool, IReadOnlyList<ReserveMachine> machines)
    {
        var remove = new List<ReserveMachine>();
        var current = new List<ReserveMachine>();
        foreach (var machine in machines)
        {
            if (machine.State == ReserveState.Removing)
            {
                continue;
            }

            if (machine.ImageRef != pool.ImageRef)
            {
                if (machine.State == ReserveState.Warm)
                {
                    remove.Add(machine);
                }

                continue;
            }

            current.Add(machine);
        }

        var excess = current.Count - pool.Target;
        if (excess > 0)
        {
            // Prefer dropping warm machines, newest first; creating ones finish and are dropped next pass.
            var warm = current.Where(m => m.State == ReserveState.Warm).OrderByDescending(m => m.CreatedAt).Take(excess);
            remove.AddRange(warm);
        }

        return new ReservePlan(Math.Max(0, pool.Target - current.Count), remove);
    }
}
