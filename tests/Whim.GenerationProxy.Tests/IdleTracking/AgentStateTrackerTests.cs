using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Whim.GenerationProxy.IdleTracking;
using Xunit;

namespace Whim.GenerationProxy.Tests.IdleTracking;

public sealed class AgentStateTrackerTests
{
    private static readonly TimeSpan s_debounce = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
    private readonly List<AgentStateSnapshot> _transitions = [];

    private AgentStateTracker Create()
    {
        var tracker = new AgentStateTracker(_time, s_debounce);
        tracker.Subscribe(_transitions.Add);
        return tracker;
    }

    [Fact]
    public void Starts_idle()
    {
        using var tracker = Create();
        tracker.Current.State.Should().Be(AgentState.Idle);
        tracker.Current.ActiveRequests.Should().Be(0);
    }

    [Fact]
    public void Working_as_soon_as_a_request_starts()
    {
        using var tracker = Create();
        tracker.RequestStarted();
        _transitions.Should().ContainSingle().Which.Should().Match<AgentStateSnapshot>(s => s.State == AgentState.Working && s.ActiveRequests == 1 && s.Since == _time.GetUtcNow());
    }

    [Fact]
    public void Idle_after_last_stream_ends_and_debounce_elapses()
    {
        using var tracker = Create();
        tracker.RequestStarted();
        _time.Advance(TimeSpan.FromSeconds(30));
        tracker.RequestEnded();
        _time.Advance(s_debounce - TimeSpan.FromMilliseconds(1));
        tracker.Current.State.Should().Be(AgentState.Working);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        tracker.Current.State.Should().Be(AgentState.Idle);
        _transitions.Select(t => t.State).Should().Equal(AgentState.Working, AgentState.Idle);
        _transitions[1].LastActivityAt.Should().Be(_time.GetUtcNow() - s_debounce);
    }

    [Fact]
    public void A_tool_gap_shorter_than_the_debounce_does_not_flap()
    {
        using var tracker = Create();
        for (var i = 0; i < 5; i++)
        {
            tracker.RequestStarted();
            _time.Advance(TimeSpan.FromSeconds(2));
            tracker.RequestEnded();
            _time.Advance(TimeSpan.FromSeconds(4));
        }

        _transitions.Select(t => t.State).Should().Equal(AgentState.Working);
        _time.Advance(s_debounce);
        _transitions.Select(t => t.State).Should().Equal(AgentState.Working, AgentState.Idle);
    }

    [Fact]
    public void Stays_working_while_any_of_several_requests_is_in_flight()
    {
        using var tracker = Create();
        tracker.RequestStarted();
        tracker.RequestStarted();
        tracker.RequestEnded();
        _time.Advance(s_debounce * 3);
        tracker.Current.Should().Match<AgentStateSnapshot>(s => s.State == AgentState.Working && s.ActiveRequests == 1);
        tracker.RequestEnded();
        _time.Advance(s_debounce);
        tracker.Current.State.Should().Be(AgentState.Idle);
    }

    [Fact]
    public void A_disposed_subscription_hears_nothing_more()
    {
        using var tracker = new AgentStateTracker(_time, s_debounce);
        var heard = 0;
        var subscription = tracker.Subscribe(_ => heard++);
        tracker.RequestStarted();
        subscription.Dispose();
        tracker.RequestEnded();
        _time.Advance(s_debounce);
        heard.Should().Be(1);
    }
}
