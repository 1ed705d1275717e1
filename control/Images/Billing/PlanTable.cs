namespace Whim.Control.Images.Billing;

/// <summary>A workspace's subscription plan.</summary>
public enum Plan
{
    Free,
    Pro,
    Max,
}

/// <summary>What each plan includes for warm reserves, and what reserves beyond that cost.</summary>
public static class PlanTable
{
    /// <summary>Compute units one billable reserve machine costs per week (prorated).</summary>
    public const decimal ComputeUnitsPerReserveWeek = 3m;

    /// <summary>The most machines a tracked branch's pool may hold.</summary>
    public const int MaxReserveTarget = 20;

    /// <summary>Default-branch reserves included in the plan at no CU cost: Free 3, Pro 5, Max 10.</summary>
    public static int IncludedDefaultBranchReserves(Plan plan) => plan switch
    {
        Plan.Free => 3,
        Plan.Pro => 5,
        Plan.Max => 10,
        _ => throw new ArgumentOutOfRangeException(nameof(plan), plan, "unknown plan"),
    };

    /// <summary>
    /// Machines of a pool that cost CU: on the default branch those above the plan's included amount, on any other
    /// branch all of them.
    /// </summary>
    public static int BillableReserves(Plan plan, bool defaultBranch, int target)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(target);
        return defaultBranch ? Math.Max(0, target - IncludedDefaultBranchReserves(plan)) : target;
    }

    /// <summary>CU for <paramref name="machines"/> billable reserves held for <paramref name="duration"/> (3 CU a week each, prorated).</summary>
    public static decimal ReserveCost(int machines, TimeSpan duration)
    {
        if (machines <= 0 || duration <= TimeSpan.Zero)
        {
            return 0m;
        }

        return Math.Round(machines * ComputeUnitsPerReserveWeek * duration.Ticks / TimeSpan.FromDays(7).Ticks, 6, MidpointRounding.ToEven);
    }
}
