using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Whim.Control.Images.Reserves;
using Xunit;

namespace Whim.Control.Images.Tests.Reserves;

public sealed class BranchTrackerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Default_branch_is_tracked_automatically_and_others_only_explicitly()
    {
        var tracker = new BranchTracker(new InMemoryBranchStore(), _time);
        await tracker.SetDefaultBranchAsync("ws", "main", default);

        (await tracker.IsTrackedAsync("ws", "main", default)).Should().BeTrue();
        (await tracker.IsTrackedAsync("ws", "feature", default)).Should().BeFalse();
        await tracker.RecordTaskActivityAsync("ws", "feature", default);
        (await tracker.IsTrackedAsync("ws", "feature", default)).Should().BeFalse();

        await tracker.TrackAsync("ws", "feature", default);
        (await tracker.TrackedAsync("ws", default)).Select(b => b.Branch).Should().Equal("main", "feature");
    }

    [Fact]
    public async Task Branch_is_untracked_after_fourteen_days_without_task_activity()
    {
        var tracker = new BranchTracker(new InMemoryBranchStore(), _time);
        await tracker.SetDefaultBranchAsync("ws", "main", default);
        await tracker.TrackAsync("ws", "feature", default);
        await tracker.TrackAsync("ws", "busy", default);

        _time.Advance(TimeSpan.FromDays(10));
        await tracker.RecordTaskActivityAsync("ws", "busy", default);
        _time.Advance(TimeSpan.FromDays(4) - TimeSpan.FromSeconds(1));
        (await tracker.UntrackInactiveAsync(default)).Should().BeEmpty();

        _time.Advance(TimeSpan.FromSeconds(1));
        (await tracker.UntrackInactiveAsync(default)).Select(b => b.Branch).Should().Equal("feature");
        (await tracker.IsTrackedAsync("ws", "busy", default)).Should().BeTrue();

        _time.Advance(TimeSpan.FromDays(30));
        (await tracker.UntrackInactiveAsync(default)).Select(b => b.Branch).Should().Equal("busy");
        (await tracker.IsTrackedAsync("ws", "main", default)).Should().BeTrue("the default branch is never dropped for inactivity");
    }

    [Fact]
    public async Task Default_branch_cannot_be_untracked()
    {
        var tracker = new BranchTracker(new InMemoryBranchStore(), _time);
        await tracker.SetDefaultBranchAsync("ws", "main", default);

        (await tracker.UntrackAsync("ws", "main", default)).Should().BeFalse();
        (await tracker.IsTrackedAsync("ws", "main", default)).Should().BeTrue();
    }
}
