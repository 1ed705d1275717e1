using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Whim.Control.Images.Billing;
using Whim.Control.Images.Machines;
using Whim.Control.Images.Reserves;
using Whim.Control.Images.Tests.Machines;
using Xunit;

namespace Whim.Control.Images.Tests.Reserves;

public sealed class ReservePoolsTests
{
    private static readonly ReservePoolKey s_key = new("ws", "main");
    private readonly FakeMachineProvider _provider = new();
    private readonly InMemoryReserveStore _store = new();
    private readonly InMemoryReserveLedger _ledger = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ReservePools _pools;

    public ReservePoolsTests()
    {
        _pools = new ReservePools(_store, _provider, new ReserveBillingMeter(_ledger, _time), Options.Create(new ImagesOptions()), _time, NullLogger<ReservePools>.Instance);
    }

    private IEnumerable<(MachineState State, string Image)> Machines => _provider.Machines.Values;

    [Fact]
    public async Task Target_two_gives_two_paused_machines()
    {
        await _pools.SetTargetAsync(s_key, 2, "img:1", defaultBranch: true, default);

        await _pools.ReconcileAsync(s_key, default);

        Machines.Should().HaveCount(2).And.OnlyContain(m => m.State == MachineState.Paused && m.Image == "img:1");
        (await _store.MachinesAsync(s_key, default)).Should().OnlyContain(m => m.State == ReserveState.Warm);
    }

    [Fact]
    public async Task Claim_turns_a_reserve_into_a_running_task_with_its_config()
    {
        await _pools.SetTargetAsync(s_key, 2, "img:1", defaultBranch: true, default);
        await _pools.ReconcileAsync(s_key, default);

        var claim = await _pools.ClaimAsync(s_key, "img:1", Encoding.UTF8.GetBytes("{\"taskId\":\"t1\"}"), default);

        claim.Warm.Should().BeTrue();
        _provider.Machines[claim.MachineId].State.Should().Be(MachineState.Running);
        Encoding.UTF8.GetString(_provider.Configs[claim.MachineId]).Should().Contain("t1");
        (await _store.MachinesAsync(s_key, default)).Should().ContainSingle();

        await _pools.ReconcileAsync(s_key, default);
        (await _store.MachinesAsync(s_key, default)).Should().HaveCount(2, "the reconciler refills the pool");
        Machines.Count(m => m.State == MachineState.Paused).Should().Be(2);
    }

    [Fact]
    public async Task Claim_with_an_empty_pool_falls_back_to_a_cold_create()
    {
        await _pools.SetTargetAsync(s_key, 0, "img:1", defaultBranch: true, default);

        var claim = await _pools.ClaimAsync(s_key, "img:1", "{}"u8.ToArray(), default);

        claim.Warm.Should().BeFalse();
        _provider.Machines[claim.MachineId].State.Should().Be(MachineState.Running);
    }

    [Fact]
    public async Task A_reserve_that_fails_to_resume_is_removed_and_a_cold_machine_is_used()
    {
        await _pools.SetTargetAsync(s_key, 1, "img:1", defaultBranch: true, default);
        await _pools.ReconcileAsync(s_key, default);
        var broken = (await _store.MachinesAsync(s_key, default)).Single().MachineId;
        _provider.FailUnpause.Add(broken);

        var claim = await _pools.ClaimAsync(s_key, "img:1", "{}"u8.ToArray(), default);

        claim.Warm.Should().BeFalse();
        _provider.Machines.Should().NotContainKey(broken);
    }

    [Fact]
    public async Task Lowering_the_target_removes_the_extra()
    {
        await _pools.SetTargetAsync(s_key, 3, "img:1", defaultBranch: true, default);
        await _pools.ReconcileAsync(s_key, default);

        await _pools.SetTargetAsync(s_key, 1, "img:1", defaultBranch: true, default);
        await _pools.ReconcileAsync(s_key, default);

        Machines.Should().ContainSingle();
    }

    [Fact]
    public async Task Activating_a_new_image_rotates_the_pool()
    {
        await _pools.SetTargetAsync(s_key, 2, "img:1", defaultBranch: true, default);
        await _pools.ReconcileAsync(s_key, default);

        await _pools.SetImageAsync(s_key, "img:2", default);
        await _pools.ReconcileAsync(s_key, default);

        Machines.Should().HaveCount(2).And.OnlyContain(m => m.Image == "img:2" && m.State == MachineState.Paused);
    }

    [Fact]
    public async Task Claim_does_not_hand_out_a_reserve_of_another_image()
    {
        await _pools.SetTargetAsync(s_key, 1, "img:1", defaultBranch: true, default);
        await _pools.ReconcileAsync(s_key, default);

        var claim = await _pools.ClaimAsync(s_key, "img:2", "{}"u8.ToArray(), default);

        claim.Warm.Should().BeFalse();
        (await _store.MachinesAsync(s_key, default)).Should().ContainSingle();
    }

    [Fact]
    public async Task Target_above_twenty_is_refused()
    {
        var act = () => _pools.SetTargetAsync(s_key, 21, "img:1", defaultBranch: true, default);

        await act.Should().ThrowAsync<ArgumentOutOfRangeException>().WithMessage("*between 0 and 20*");
    }

    [Fact]
    public async Task Non_default_branch_reserves_are_billed()
    {
        var feature = new ReservePoolKey("ws", "feature");
        await _pools.SetTargetAsync(feature, 2, "img:1", defaultBranch: false, default);
        _time.Advance(TimeSpan.FromDays(7));

        await _pools.SetTargetAsync(feature, 0, "img:1", defaultBranch: false, default);
        await _pools.ReconcileAsync(feature, default);

        (await _ledger.EntriesAsync("ws", default)).Should().ContainSingle().Which.ComputeUnits.Should().Be(6m);
    }
}
