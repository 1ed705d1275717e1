using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Whim.Control.Images.Reserves;
using Xunit;

namespace Whim.Control.Images.Tests.Reserves;

public sealed class BranchTrackerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Default_branch_is_tracked_automatically_and_others_only_explicitly()
    {
        var tracker = new BranchTracker(_time);
        tracker.SetDefaultBranch("ws", "main");

        tracker.IsTracked("ws", "main").Should().BeTrue();
        tracker.IsTracked("ws", "feature").Should().BeFalse();
        tracker.RecordTaskActivity("ws", "feature");
        tracker.IsTracked("ws", "feature").Should().BeFalse();

        tracker.Track("ws", "feature");
        tracker.Tracked("ws").Select(b => b.Branch).Should().Equal("main", "feature");
    }

    [Fact]
    public void Branch_is_untracked_after_fourteen_days_without_task_activity()
    {
        var tracker = new BranchTracker(_time);
        tracker.SetDefaultBranch("ws", "main");
        tracker.Track("ws", "feature");
        tracker.Track("ws", "busy");

        _time.Advance(TimeSpan.FromDays(10));
        tracker.RecordTaskActivity("ws", "busy");
        _time.Advance(TimeSpan.FromDays(4) - TimeSpan.FromSeconds(1));
        tracker.UntrackInactive().Should().BeEmpty();

        _time.Advance(TimeSpan.FromSeconds(1));
        tracker.UntrackInactive().Select(b => b.Branch).Should().Equal("feature");
        tracker.IsTracked("ws", "busy").Should().BeTrue();

        _time.Advance(TimeSpan.FromDays(30));
        tracker.UntrackInactive().Select(b => b.Branch).Should().Equal("busy");
        tracker.IsTracked("ws", "main").Should().BeTrue("the default branch is never dropped for inactivity");
    }

    [Fact]
    public void Default_branch_cannot_be_untracked()
    {
        var tracker = new BranchTracker(_time);
        tracker.SetDefaultBranch("ws", "main");

        tracker.Untrack("ws", "main").Should().BeFalse();
        tracker.IsTracked("ws", "main").Should().BeTrue();
    }
}
