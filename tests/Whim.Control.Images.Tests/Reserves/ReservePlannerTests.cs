using FluentAssertions;
using Whim.Control.Images.Reserves;
using Xunit;

namespace Whim.Control.Images.Tests.Reserves;

public sealed class ReservePlannerTests
{
    private static readonly ReservePoolKey s_key = new("ws", "main");
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static ReserveMachine M(string id, string image, ReserveState state, int minute) => new(id, s_key, image, state, s_t0.AddMinutes(minute));

    [Fact]
    public void Empty_pool_creates_up_to_target()
    {
        var plan = ReservePlanner.Plan(new ReservePool(s_key, 3, "img:1"), []);

        plan.Create.Should().Be(3);
        plan.Remove.Should().BeEmpty();
    }

    [Fact]
    public void Machines_being_created_count_toward_the_target()
    {
        var plan = ReservePlanner.Plan(new ReservePool(s_key, 2, "img:1"), [M("a", "img:1", ReserveState.Creating, 0)]);

        plan.Create.Should().Be(1);
    }

    [Fact]
    public void Lowering_the_target_removes_the_newest_warm_machines()
    {
        var plan = ReservePlanner.Plan(new ReservePool(s_key, 1, "img:1"),
            [M("old", "img:1", ReserveState.Warm, 0), M("new", "img:1", ReserveState.Warm, 5), M("mid", "img:1", ReserveState.Warm, 2)]);

        plan.Create.Should().Be(0);
        plan.Remove.Select(m => m.MachineId).Should().BeEquivalentTo("new", "mid");
    }

    [Fact]
    public void A_new_active_image_rotates_the_pool()
    {
        var plan = ReservePlanner.Plan(new ReservePool(s_key, 2, "img:2"),
            [M("a", "img:1", ReserveState.Warm, 0), M("b", "img:1", ReserveState.Warm, 1)]);

        plan.Create.Should().Be(2);
        plan.Remove.Select(m => m.MachineId).Should().BeEquivalentTo("a", "b");
    }

    [Fact]
    public void Target_zero_empties_the_pool_and_machines_being_removed_are_left_alone()
    {
        var plan = ReservePlanner.Plan(new ReservePool(s_key, 0, "img:1"),
            [M("a", "img:1", ReserveState.Warm, 0), M("b", "img:1", ReserveState.Removing, 1)]);

        plan.Create.Should().Be(0);
        plan.Remove.Select(m => m.MachineId).Should().Equal("a");
    }
}
