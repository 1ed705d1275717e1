using Microsoft.Extensions.Options;

namespace Whim.Control.Heartbeats;

/// <summary>What the generation proxy's <c>GET /whim/state</c> answers (contract in COMMON.md).</summary>
internal sealed record AgentStateReport(string? State, int? ActiveRequests, DateTimeOffset? LastActivityAt, DateTimeOffset? Since, DateTimeOffset? UpdatedAt);

internal sealed record Heartbeat(string TaskId, DateTimeOffset At, string AgentState, int ActiveRequests, bool BackupOk);

/// <summary>Heartbeat polling (<c>WHIM_HEARTBEATS__POLLINTERVAL</c>, <c>WHIM_HEARTBEATS__REQUESTTIMEOUT</c>).</summary>
internal sealed class HeartbeatOptions
{
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many tasks are polled at once.</summary>
    public int Parallelism { get; set; } = 16;
}

internal sealed class HeartbeatOptionsValidator : IValidateOptions<HeartbeatOptions>
{
    public ValidateOptionsResult Validate(string? name, HeartbeatOptions options)
    {
        var errors = new Whim.Runtime.Configuration.OptionsErrors();
        errors.When(options.PollInterval < TimeSpan.FromMilliseconds(10), "WHIM_HEARTBEATS__POLLINTERVAL", "must be at least 00:00:00.010");
        errors.When(options.RequestTimeout <= TimeSpan.Zero, "WHIM_HEARTBEATS__REQUESTTIMEOUT", "must be positive");
        errors.When(options.Parallelism is < 1 or > 256, "WHIM_HEARTBEATS__PARALLELISM", "must be 1 to 256");
        return errors.ToResult();
    }
}

/// <summary>
/// The idle rule, apart from I/O: a task is idle from the first poll that finds its agent idle (by the control
/// plane's clock, so container clock skew cannot shorten it) until a poll finds it working; once idle for the
/// workspace's timeout (0 = never) it is put to sleep.
/// </summary>
internal static class IdlePolicy
{
    public static (DateTimeOffset? IdleSince, bool Sleep) Decide(string agentState, DateTimeOffset? idleSince, DateTimeOffset now, TimeSpan timeout)
    {
        if (agentState != "idle")
        {
            return (agentState == "unreachable" ? idleSince : null, false);
        }

        var since = idleSince ?? now;
        return (since, timeout > TimeSpan.Zero && now - since >= timeout);
    }
}
