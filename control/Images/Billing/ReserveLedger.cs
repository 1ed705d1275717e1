using System.Collections.Concurrent;

namespace Whim.Control.Images.Billing;

/// <summary>One accrual of reserve cost: a pool held <see cref="BillableMachines"/> billable machines from <see cref="From"/> to <see cref="To"/>.</summary>
public sealed record ReserveLedgerEntry(
    string WorkspaceId,
    string Branch,
    DateTimeOffset From,
    DateTimeOffset To,
    int Target,
    int BillableMachines,
    decimal ComputeUnits);

/// <summary>Where reserve CU charges are recorded (the control API's database; in memory when not wired).</summary>
public interface IReserveLedger
{
    Task AppendAsync(IReadOnlyList<ReserveLedgerEntry> entries, CancellationToken cancellationToken);

    /// <summary>The workspace's entries in the order they were recorded.</summary>
    Task<IReadOnlyList<ReserveLedgerEntry>> EntriesAsync(string workspaceId, CancellationToken cancellationToken);
}

/// <summary>An in-memory ledger.</summary>
public sealed class InMemoryReserveLedger : IReserveLedger
{
    private readonly ConcurrentQueue<ReserveLedgerEntry> _entries = new();

    public Task AppendAsync(IReadOnlyList<ReserveLedgerEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            _entries.Enqueue(entry);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ReserveLedgerEntry>> EntriesAsync(string workspaceId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ReserveLedgerEntry>>([.. _entries.Where(e => e.WorkspaceId == workspaceId)]);
}

/// <summary>
/// Accrues reserve cost into the ledger. Each pool's billable count is charged from the moment it was set until the
/// next change (target or plan) or the next <see cref="AccrueAllAsync"/> tick, so a week at 2 billable machines is 6 CU and
/// a day is 6/7 CU. Billing follows the target (the capacity held), not how many machines happen to exist.
/// </summary>
public sealed class ReserveBillingMeter(IReserveLedger ledger, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Workspace, string Branch), PoolMeter> _pools = [];
    private readonly Dictionary<string, Plan> _plans = [];

    /// <summary>Sets a pool's target (and whether it is the default branch); accrues the old state up to now first.</summary>
    public Task SetTargetAsync(string workspaceId, string branch, bool defaultBranch, int target, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(target);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(target, PlanTable.MaxReserveTarget);
        var entries = new List<ReserveLedgerEntry>();
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var key = (workspaceId, branch);
            if (_pools.TryGetValue(key, out var meter))
            {
                Accrue(key, meter, now, entries);
            }

            _pools[key] = new PoolMeter(defaultBranch, target, now);
        }

        return RecordAsync(entries, cancellationToken);
    }

    /// <summary>Changes a workspace's plan; accrues every pool of it up to now at the old plan first.</summary>
    public Task SetPlanAsync(string workspaceId, Plan plan, CancellationToken cancellationToken)
    {
        var entries = new List<ReserveLedgerEntry>();
        lock (_gate)
        {
            AccrueWhere(workspaceId, entries);
            _plans[workspaceId] = plan;
        }

        return RecordAsync(entries, cancellationToken);
    }

    /// <summary>Accrues every pool up to now (called periodically and before reading a balance).</summary>
    public Task AccrueAllAsync(CancellationToken cancellationToken)
    {
        var entries = new List<ReserveLedgerEntry>();
        lock (_gate)
        {
            AccrueWhere(null, entries);
        }

        return RecordAsync(entries, cancellationToken);
    }

    // Entries are computed under the lock (so no interval is charged twice) and written after it.
    private Task RecordAsync(List<ReserveLedgerEntry> entries, CancellationToken cancellationToken) =>
        entries.Count == 0 ? Task.CompletedTask : ledger.AppendAsync(entries, cancellationToken);

    private void AccrueWhere(string? workspaceId, List<ReserveLedgerEntry> entries)
    {
        var now = time.GetUtcNow();
        foreach (var (key, meter) in _pools.ToArray())
        {
            if (workspaceId is null || key.Workspace == workspaceId)
            {
                Accrue(key, meter, now, entries);
            }
        }
    }

    private void Accrue((string Workspace, string Branch) key, PoolMeter meter, DateTimeOffset now, List<ReserveLedgerEntry> entries)
    {
        var plan = _plans.GetValueOrDefault(key.Workspace, Plan.Free);
        var billable = PlanTable.BillableReserves(plan, meter.DefaultBranch, meter.Target);
        if (now > meter.Since && billable > 0)
        {
            entries.Add(new ReserveLedgerEntry(key.Workspace, key.Branch, meter.Since, now, meter.Target, billable, PlanTable.ReserveCost(billable, now - meter.Since)));
        }

        _pools[key] = meter with { Since = now };
    }

    private sealed record PoolMeter(bool DefaultBranch, int Target, DateTimeOffset Since);
}
