using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Whim.Control.Images.Billing;

namespace Whim.Control.Images.Reserves;

/// <summary>
/// The periodic loop: untracks idle branches (their pools drop to 0), reconciles every pool, accrues reserve CU.
/// A <see cref="PeriodicTimer"/> on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ReserveReconcilerService(
    ReservePools pools,
    IReserveStore store,
    BranchTracker branches,
    ReserveBillingMeter billing,
    IOptions<ImagesOptions> options,
    TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReconcileInterval, time);
        do
        {
            foreach (var dropped in branches.UntrackInactive())
            {
                var key = new ReservePoolKey(dropped.WorkspaceId, dropped.Branch);
                var pool = store.GetPool(key);
                if (pool is not null)
                {
                    pools.SetTarget(key, 0, pool.ImageRef, defaultBranch: false);
                }
            }

            await pools.ReconcileAllAsync(stoppingToken);
            billing.AccrueAll();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
