namespace Whim.GenerationProxy.IdleTracking;

/// <summary>Whether the agent is generating.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<AgentState>))]
internal enum AgentState
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("idle")]
    Idle,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("working")]
    Working,
}

/// <summary>The state document: what <c>/tmp/claude_state</c> and <c>GET /whim/state</c> carry.</summary>
internal sealed record AgentStateSnapshot(
    AgentState State,
    int ActiveRequests,
    DateTimeOffset? LastActivityAt,
    DateTimeOffset Since,
    DateTimeOffset UpdatedAt);

/// <summary>
/// The working/idle state machine. A model request starting makes the agent <c>working</c> at once; the agent
/// becomes <c>idle</c> only when no request has been in flight for the debounce period, so the gap between two calls
/// of one turn (a tool running) does not flap the state. Transitions are announced to subscribers under the lock,
/// in order; subscribers must not block (they hand the snapshot to a channel).
/// </summary>
internal sealed class AgentStateTracker : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _debounce;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private readonly List<Action<AgentStateSnapshot>> _subscribers = [];
    private AgentState _state = AgentState.Idle;
    private int _active;
    private DateTimeOffset? _lastActivity;
    private DateTimeOffset _since;

    public AgentStateTracker(TimeProvider time, TimeSpan debounce)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _debounce = debounce;
        _since = time.GetUtcNow();
        _timer = time.CreateTimer(static s => ((AgentStateTracker)s!).OnDebounceElapsed(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The state now.</summary>
    public AgentStateSnapshot Current
    {
        get
        {
            lock (_gate)
            {
                return Snapshot(_time.GetUtcNow());
            }
        }
    }

    /// <summary>Calls <paramref name="onTransition"/> on every transition until the result is disposed.</summary>
    public IDisposable Subscribe(Action<AgentStateSnapshot> onTransition)
    {
        lock (_gate)
        {
            _subscribers.Add(onTransition);
        }

        return new Subscription(this, onTransition);
    }

    /// <summary>A model request began.</summary>
    public void RequestStarted()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            _active++;
            _lastActivity = now;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            if (_state == AgentState.Idle)
            {
                Transition(AgentState.Working, now);
            }
        }
    }

    /// <summary>A model request ended (completed, failed or cancelled).</summary>
    public void RequestEnded()
    {
        lock (_gate)
        {
            _active = Math.Max(0, _active - 1);
            _lastActivity = _time.GetUtcNow();
            if (_active == 0)
            {
                _timer.Change(_debounce, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    private void OnDebounceElapsed()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_active != 0 || _state != AgentState.Working)
            {
                return;
            }

            var quiet = now - (_lastActivity ?? now);
            if (quiet < _debounce)
            {
                // A request came and went while the timer was due: wait out the rest.
                _timer.Change(_debounce - quiet, Timeout.InfiniteTimeSpan);
                return;
            }

            Transition(AgentState.Idle, now);
        }
    }

    private void Transition(AgentState next, DateTimeOffset now)
    {
        _state = next;
        _since = now;
        var snapshot = Snapshot(now);
        foreach (var subscriber in _subscribers)
        {
            subscriber(snapshot);
        }
    }

    private AgentStateSnapshot Snapshot(DateTimeOffset now) => new(_state, _active, _lastActivity, _since, now);

    private sealed class Subscription(AgentStateTracker owner, Action<AgentStateSnapshot> callback) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._subscribers.Remove(callback);
            }
        }
    }
}
