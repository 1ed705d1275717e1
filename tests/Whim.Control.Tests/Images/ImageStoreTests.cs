using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Builds;
using Whim.Control.Images.Dockerfiles;
using Whim.Control.Images.Reserves;
using Whim.Control.Tests.Fixtures;
using Whim.Control.WorkspaceImages;
using Xunit;

namespace Whim.Control.Tests.Images;

/// <summary>The database stores behind images and reserves, once on SQLite and once on PostgreSQL.</summary>
public abstract class ImageStoreTests(IBackend backend) : IAsyncLifetime
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private ControlHost _host = null!;
    private string _ws = null!;

    public async Task InitializeAsync()
    {
        _host = await ControlHost.StartAsync(backend);
        _ws = (await _host.SeedWorkspaceAsync()).WorkspaceId;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    [Fact]
    public void The_control_api_wires_the_database_stores()
    {
        Get<IImageStore>().Should().BeOfType<DbImageStore>();
        Get<IReserveStore>().Should().BeOfType<DbReserveStore>();
        Get<IReserveLedger>().Should().BeOfType<DbReserveLedger>();
        Get<IBranchStore>().Should().BeOfType<DbBranchStore>();
    }

    [Fact]
    public async Task Concurrent_claims_hand_each_warm_reserve_out_once_oldest_first_and_only_of_the_asked_image()
    {
        var store = Get<IReserveStore>();
        var key = new ReservePoolKey(_ws, "main");
        await store.SetPoolAsync(new ReservePool(key, 4, "img:1"), default);
        await store.PutMachineAsync(new ReserveMachine("m-new", key, "img:1", ReserveState.Warm, s_start.AddMinutes(2)), default);
        await store.PutMachineAsync(new ReserveMachine("m-old", key, "img:1", ReserveState.Warm, s_start), default);
        await store.PutMachineAsync(new ReserveMachine("m-other", key, "img:2", ReserveState.Warm, s_start), default);
        await store.PutMachineAsync(new ReserveMachine("m-creating", key, "img:1", ReserveState.Creating, s_start), default);

        (await store.TryClaimAsync(key, "img:1", default))!.MachineId.Should().Be("m-old");
        var rest = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => store.TryClaimAsync(key, "img:1", default)));

        rest.Where(m => m is not null).Select(m => m!.MachineId).Should().Equal("m-new");
        (await store.MachinesAsync(key, default)).Select(m => m.MachineId).Should().BeEquivalentTo("m-other", "m-creating");
        (await store.GetPoolAsync(key, default)).Should().Be(new ReservePool(key, 4, "img:1"));
        (await store.PoolsAsync(_ws, default)).Should().ContainSingle();
    }

    [Fact]
    public async Task Ledger_from_the_billing_meter_keeps_prorated_compute_units_exactly()
    {
        var time = new FakeTimeProvider(s_start);
        var ledger = Get<IReserveLedger>();
        var meter = new ReserveBillingMeter(ledger, time);
        await meter.SetPlanAsync(_ws, Plan.Pro, default);
        await meter.SetTargetAsync(_ws, "main", defaultBranch: true, target: 7, default); // 2 above Pro's 5
        await meter.SetTargetAsync(_ws, "feature", defaultBranch: false, target: 1, default);
        time.Advance(TimeSpan.FromDays(1));
        await meter.AccrueAllAsync(default);

        var entries = await ledger.EntriesAsync(_ws, default);

        entries.Should().BeEquivalentTo(
        [
            new ReserveLedgerEntry(_ws, "main", s_start, s_start.AddDays(1), 7, 2, 0.857143m),
            new ReserveLedgerEntry(_ws, "feature", s_start, s_start.AddDays(1), 1, 1, 0.428571m),
        ]);
        (await ledger.EntriesAsync("another", default)).Should().BeEmpty();
    }

    [Fact]
    public async Task Images_activation_and_build_logs_round_trip_in_order()
    {
        var store = Get<IImageStore>();
        var a = new WorkspaceImage("a", _ws, null, ImageSourceKind.Manual, ImageStatus.Ready, true, true, "localhost/a:1", null, s_start, null);
        var b = new WorkspaceImage("b", _ws, "main", ImageSourceKind.Repository, ImageStatus.Building, false, false, "localhost/b:1", new string('f', 64), s_start.AddSeconds(1), null);
        await store.PutAsync([a, b], default);
        await store.AppendLogAsync("b", ["one", "two"], default);
        await store.AppendLogAsync("b", ["three"], default);
        await store.PutAsync([b with { Status = ImageStatus.Failed, Error = "boom" }, a with { Active = false }], default);

        (await store.ListAsync(_ws, default)).Should().Equal(a with { Active = false }, b with { Status = ImageStatus.Failed, Error = "boom" });
        (await store.LogAsync("b", default)).Should().Equal("one", "two", "three");
        (await store.GetAsync("missing", default)).Should().BeNull();
    }

    [Fact]
    public async Task Tracked_branches_persist_and_idle_ones_are_untracked_after_fourteen_days()
    {
        var time = new FakeTimeProvider(s_start);
        var tracker = new BranchTracker(Get<IBranchStore>(), time);
        await tracker.SetDefaultBranchAsync(_ws, "main", default);
        await tracker.TrackAsync(_ws, "feature/a", default);
        await tracker.TrackAsync(_ws, "feature/b", default);
        time.Advance(TimeSpan.FromDays(7));
        await tracker.RecordTaskActivityAsync(_ws, "feature/b", default);
        time.Advance(TimeSpan.FromDays(7));

        (await tracker.UntrackInactiveAsync(default)).Select(b => b.Branch).Should().Equal("feature/a");

        var reread = new BranchTracker(Get<IBranchStore>(), time);
        (await reread.TrackedAsync(_ws, default)).Select(b => (b.Branch, b.IsDefault)).Should().Equal(("main", true), ("feature/b", false));
        (await reread.UntrackAsync(_ws, "main", default)).Should().BeFalse();
    }
}

public sealed class SqliteImageStoreTests() : ImageStoreTests(new SqliteBackend());

[Collection(PostgresCollection.Name)]
public sealed class PostgresImageStoreTests(PostgresServer server) : ImageStoreTests(new PostgresBackend(server));
