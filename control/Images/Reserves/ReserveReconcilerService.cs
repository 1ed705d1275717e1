using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Whim.Control.Images.Billing;

namespace Whim.Control.Images.Reserves;

/// <summary>
/// The periodic loop: untracks idle branches (their pools drop to 0), reconciles every pool, accrues reserve CU.
/// A <see cref="PeriodicTimer"/> on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class ReserveReconcilerService(
    ReservePools pools,
    IReserveStore store,
    BranchTracker branches,
    ReserveBillingMeter billing,
    IOptions<ImagesOptions> options,
    TimeProvider time,
    ILogger<ReserveReconcilerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReconcileInterval, time);
        do
        {
            try
            {
                await PassAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One failed pass (database or provider trouble) must not end the loop; the next tick retries.
                Log.PassFailed(logger, e.GetType().Name, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass: untrack idle branches, reconcile every pool, accrue CU.</summary>
    internal async Task PassAsync(CancellationToken stoppingToken)
    {
        foreach (var dropped in await branches.UntrackInactiveAsync(stoppingToken))
        {
            var key = new ReservePoolKey(dropped.WorkspaceId, dropped.Branch);
            var pool = await store.GetPoolAsync(key, stoppingToken);
            if (pool is not null)
            {
                await pools.SetTargetAsync(key, 0, pool.ImageRef, defaultBranch: false, stoppingToken);
            }
        }

        await pools.ReconcileAllAsync(stoppingToken);
        await billing.AccrueAllAsync(stoppingToken);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, EventName = "ReconcilePassFailed", Level = LogLevel.Warning, Message = "Reserve reconciler pass failed ({Kind}): {Reason}")]
        public static partial void PassFailed(ILogger logger, string kind, string reason);
    }
}
