using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Whim.Control.Images.Billing;
using Xunit;

namespace Whim.Control.Images.Tests.Billing;

public sealed class ReserveBillingTests
{
    [Theory]
    [InlineData(Plan.Free, 3)]
    [InlineData(Plan.Pro, 5)]
    [InlineData(Plan.Max, 10)]
    public void Plans_include_default_branch_reserves(Plan plan, int included) =>
        PlanTable.IncludedDefaultBranchReserves(plan).Should().Be(included);

    [Theory]
    [InlineData(Plan.Free, true, 3, 0)]
    [InlineData(Plan.Free, true, 5, 2)]
    [InlineData(Plan.Pro, true, 5, 0)]
    [InlineData(Plan.Pro, true, 8, 3)]
    [InlineData(Plan.Max, true, 10, 0)]
    [InlineData(Plan.Max, true, 20, 10)]
    [InlineData(Plan.Max, false, 2, 2)]
    [InlineData(Plan.Free, false, 0, 0)]
    public void Billable_reserves_are_those_above_the_plan_or_off_the_default_branch(Plan plan, bool defaultBranch, int target, int billable) =>
        PlanTable.BillableReserves(plan, defaultBranch, target).Should().Be(billable);

    [Theory]
    [InlineData(1, 7 * 24, 3)]
    [InlineData(2, 7 * 24, 6)]
    [InlineData(2, 24, 0.857143)]
    [InlineData(1, 12, 0.214286)]
    [InlineData(0, 7 * 24, 0)]
    public void Cost_is_three_cu_per_machine_week_prorated(int machines, int hours, double cu) =>
        PlanTable.ReserveCost(machines, TimeSpan.FromHours(hours)).Should().Be((decimal)cu);

    [Fact]
    public async Task Ledger_records_only_billable_time_with_proration()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var ledger = new InMemoryReserveLedger();
        var meter = new ReserveBillingMeter(ledger, time);
        await meter.SetPlanAsync("ws", Plan.Pro, default);

        await meter.SetTargetAsync("ws", "main", defaultBranch: true, target: 5, default);  // all included
        await meter.SetTargetAsync("ws", "feature", defaultBranch: false, target: 2, default); // all billable
        time.Advance(TimeSpan.FromDays(1));
        await meter.SetTargetAsync("ws", "main", defaultBranch: true, target: 7, default);  // 2 above Pro's 5
        time.Advance(TimeSpan.FromDays(7));
        await meter.AccrueAllAsync(default);

        var entries = await ledger.EntriesAsync("ws", default);
        entries.Where(e => e.Branch == "main").Should().ContainSingle()
            .Which.Should().Match<ReserveLedgerEntry>(e => e.BillableMachines == 2 && e.ComputeUnits == 6m && e.To - e.From == TimeSpan.FromDays(7));
        entries.Where(e => e.Branch == "feature").Sum(e => e.ComputeUnits).Should().Be(Math.Round(2 * 3m * 8 / 7, 6));
    }

    [Fact]
    public async Task Plan_change_accrues_at_the_old_plan_first()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var ledger = new InMemoryReserveLedger();
        var meter = new ReserveBillingMeter(ledger, time);
        await meter.SetPlanAsync("ws", Plan.Free, default);
        await meter.SetTargetAsync("ws", "main", defaultBranch: true, target: 10, default);

        time.Advance(TimeSpan.FromDays(7));
        await meter.SetPlanAsync("ws", Plan.Max, default);
        time.Advance(TimeSpan.FromDays(7));
        await meter.AccrueAllAsync(default);

        (await ledger.EntriesAsync("ws", default)).Should().ContainSingle().Which.ComputeUnits.Should().Be(7 * 3m);
    }

    [Fact]
    public async Task Target_outside_zero_to_twenty_is_refused()
    {
        var meter = new ReserveBillingMeter(new InMemoryReserveLedger(), new FakeTimeProvider());

        var act = () => meter.SetTargetAsync("ws", "main", true, 21, default);

        await act.Should().ThrowAsync<ArgumentOutOfRangeException>();
    }
}
