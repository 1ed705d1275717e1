using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Machines;

namespace Whim.Control.Images.Reserves;

/// <summary>How a task got its machine.</summary>
/// <param name="MachineId">The machine now running the task.</param>
/// <param name="Warm">True when a warm reserve was claimed; false for a cold create.</param>
/// <param name="Elapsed">From the claim call until the machine runs with the task's config.</param>
public sealed record MachineClaim(string MachineId, bool Warm, TimeSpan Elapsed);

/// <summary>
/// Keeps each pool at its target and hands reserves to tasks. Reconciling a pool creates machines from the pool's
/// image, starts (initialises) and pauses them, and removes excess or other-image machines; passes on one pool are
/// serialised. A claim takes a warm machine, unpauses it and injects the task's config, or falls back to a cold create.
/// </summary>
public sealed partial class ReservePools(
    IReserveStore store,
    IMachineProvider provider,
    ReserveBillingMeter billing,
    IOptions<ImagesOptions> options,
    TimeProvider time,
    ILogger<ReservePools> logger)
{
    /// <summary>Label naming the pool a machine belongs to.</summary>
    public const string PoolLabel = "run.whim.reserve-pool";

    private readonly ConcurrentDictionary<ReservePoolKey, SemaphoreSlim> _locks = new();

    /// <summary>Sets a pool's target (0–20) and image; bills the change. Call <see cref="ReconcileAsync"/> to act on it.</summary>
    public async Task<ReservePool> SetTargetAsync(ReservePoolKey key, int target, string imageRef, bool defaultBranch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (target is < 0 or > PlanTable.MaxReserveTarget)
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, $"target must be between 0 and {PlanTable.MaxReserveTarget}");
        }

        var pool = new ReservePool(key, target, imageRef);
        await store.SetPoolAsync(pool, cancellationToken);
        await billing.SetTargetAsync(key.WorkspaceId, key.Branch, defaultBranch, target, cancellationToken);
        return pool;
    }

    /// <summary>Points a pool at a newly activated image; the next reconciliation rotates the machines.</summary>
    public async Task SetImageAsync(ReservePoolKey key, string imageRef, CancellationToken cancellationToken)
    {
        var pool = await store.GetPoolAsync(key, cancellationToken);
        if (pool is not null && pool.ImageRef != imageRef)
        {
            await store.SetPoolAsync(pool with { ImageRef = imageRef }, cancellationToken);
            Log.PoolImageChanged(logger, key.ToString(), imageRef);
        }
    }

    /// <summary>Brings one pool to its target.</summary>
    public async Task ReconcileAsync(ReservePoolKey key, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var pool = await store.GetPoolAsync(key, cancellationToken);
            if (pool is null)
            {
                return;
            }

            var plan = ReservePlanner.Plan(pool, await store.MachinesAsync(key, cancellationToken));
            foreach (var machine in plan.Remove)
            {
                await store.PutMachineAsync(machine with { State = ReserveState.Removing }, cancellationToken);
                await provider.RemoveAsync(machine.MachineId, cancellationToken);
                await store.RemoveMachineAsync(machine.MachineId, cancellationToken);
                Log.ReserveRemoved(logger, key.ToString(), machine.MachineId);
            }

            var creations = new List<Task>();
            for (var n = 0; n < plan.Create; n++)
            {
                creations.Add(CreateWarmAsync(pool, cancellationToken));
            }

            await Task.WhenAll(creations);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Reconciles every pool; a failing pool is logged and the others still run.</summary>
    public async Task ReconcileAllAsync(CancellationToken cancellationToken)
    {
        foreach (var pool in await store.PoolsAsync(null, cancellationToken))
        {
            try
            {
                await ReconcileAsync(pool.Key, cancellationToken);
            }
            catch (MachineProviderException e)
            {
                Log.ReconcileFailed(logger, pool.Key.ToString(), e.Message);
            }
        }
    }

    /// <summary>
    /// Gives a task a running machine: a warm reserve of <paramref name="imageRef"/> from the pool (resume, check it
    /// runs, inject config) when one is there, else a cold create. Warm starts are best-effort: a reserve that fails to resume is
    /// removed and the cold path is taken.
    /// </summary>
    public async Task<MachineClaim> ClaimAsync(ReservePoolKey key, string imageRef, ReadOnlyMemory<byte> taskConfig, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var started = Stopwatch.GetTimestamp();
        var reserve = await store.TryClaimAsync(key, imageRef, cancellationToken);
        if (reserve is not null)
        {
            try
            {
                await provider.UnpauseAsync(reserve.MachineId, cancellationToken);
                var resumed = await provider.InspectAsync(reserve.MachineId, cancellationToken);
                if (resumed.State != MachineState.Running)
                {
                    throw new MachineProviderException($"reserve is {resumed.State} after resuming, not running");
                }

                await provider.InjectTaskConfigAsync(reserve.MachineId, taskConfig, cancellationToken);
                var elapsed = Stopwatch.GetElapsedTime(started);
                Log.ReserveClaimed(logger, key.ToString(), reserve.MachineId, elapsed.TotalMilliseconds);
                return new MachineClaim(reserve.MachineId, true, elapsed);
            }
            catch (MachineProviderException e)
            {
                Log.WarmClaimFailed(logger, key.ToString(), reserve.MachineId, e.Message);
                await provider.RemoveAsync(reserve.MachineId, CancellationToken.None);
            }
        }

        var id = await provider.CreateAsync(Spec(key, imageRef, "task"), cancellationToken);
        await provider.StartAsync(id, cancellationToken);
        await provider.InjectTaskConfigAsync(id, taskConfig, cancellationToken);
        var cold = Stopwatch.GetElapsedTime(started);
        Log.ColdCreated(logger, key.ToString(), id, cold.TotalMilliseconds);
        return new MachineClaim(id, false, cold);
    }

    private async Task CreateWarmAsync(ReservePool pool, CancellationToken cancellationToken)
    {
        var id = await provider.CreateAsync(Spec(pool.Key, pool.ImageRef, "reserve"), cancellationToken);
        var record = new ReserveMachine(id, pool.Key, pool.ImageRef, ReserveState.Creating, time.GetUtcNow());
        await store.PutMachineAsync(record, cancellationToken);
        try
        {
            await provider.StartAsync(id, cancellationToken);
            await provider.PauseAsync(id, cancellationToken);
            await store.PutMachineAsync(record with { State = ReserveState.Warm }, cancellationToken);
            Log.ReserveWarm(logger, pool.Key.ToString(), id);
        }
        catch
        {
            await store.RemoveMachineAsync(id, CancellationToken.None);
            await provider.RemoveAsync(id, CancellationToken.None);
            throw;
        }
    }

    private MachineSpec Spec(ReservePoolKey key, string imageRef, string role) => new(
        imageRef,
        $"whim-{role}-{Guid.NewGuid():N}",
        new Dictionary<string, string>(StringComparer.Ordinal) { [PoolLabel] = key.ToString(), ["run.whim.role"] = role },
        [.. options.Value.MachineCommand]);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "ReserveWarm", Level = LogLevel.Information, Message = "Reserve {MachineId} warm in pool {Pool}")]
        public static partial void ReserveWarm(ILogger logger, string pool, string machineId);

        [LoggerMessage(EventId = 2, EventName = "ReserveRemoved", Level = LogLevel.Information, Message = "Reserve {MachineId} removed from pool {Pool}")]
        public static partial void ReserveRemoved(ILogger logger, string pool, string machineId);

        [LoggerMessage(EventId = 3, EventName = "ReserveClaimed", Level = LogLevel.Information, Message = "Reserve {MachineId} claimed from pool {Pool} in {Milliseconds} ms")]
        public static partial void ReserveClaimed(ILogger logger, string pool, string machineId, double milliseconds);

        [LoggerMessage(EventId = 4, EventName = "ColdCreated", Level = LogLevel.Information, Message = "No reserve in pool {Pool}; cold-created {MachineId} in {Milliseconds} ms")]
        public static partial void ColdCreated(ILogger logger, string pool, string machineId, double milliseconds);

        [LoggerMessage(EventId = 5, EventName = "WarmClaimFailed", Level = LogLevel.Warning, Message = "Reserve {MachineId} of pool {Pool} failed to resume ({Reason}); creating cold")]
        public static partial void WarmClaimFailed(ILogger logger, string pool, string machineId, string reason);

        [LoggerMessage(EventId = 6, EventName = "PoolImageChanged", Level = LogLevel.Information, Message = "Pool {Pool} now uses image {Image}; reserves will rotate")]
        public static partial void PoolImageChanged(ILogger logger, string pool, string image);

        [LoggerMessage(EventId = 7, EventName = "ReconcileFailed", Level = LogLevel.Warning, Message = "Reconciling pool {Pool} failed: {Reason}")]
        public static partial void ReconcileFailed(ILogger logger, string pool, string reason);
    }
}
