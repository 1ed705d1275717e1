using System.Collections.Concurrent;

namespace Whim.Control.Images.Reserves;

/// <summary>A branch whose image is built and whose reserve pool is kept.</summary>
public sealed record TrackedBranch(string WorkspaceId, string Branch, bool IsDefault, DateTimeOffset TrackedAt, DateTimeOffset LastActivityAt);

/// <summary>
/// Branch tracking rules: the default branch is tracked automatically (and never dropped for inactivity); other
/// branches only after an explicit <see cref="Track"/>, and they are untracked after
/// <see cref="InactivityLimit"/> without task activity. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class BranchTracker(TimeProvider time)
{
    /// <summary>How long a non-default branch stays tracked without a task.</summary>
    public static readonly TimeSpan InactivityLimit = TimeSpan.FromDays(14);

    private readonly ConcurrentDictionary<(string Workspace, string Branch), TrackedBranch> _branches = new();

    /// <summary>Sets the workspace's default branch: tracked from now on; a previous default becomes an ordinary tracked branch.</summary>
    public TrackedBranch SetDefaultBranch(string workspaceId, string branch)
    {
        var now = time.GetUtcNow();
        foreach (var (key, value) in _branches)
        {
            if (key.Workspace == workspaceId && value.IsDefault && key.Branch != branch)
            {
                _branches[key] = value with { IsDefault = false, LastActivityAt = now };
            }
        }

        return _branches.AddOrUpdate(
            (workspaceId, branch),
            _ => new TrackedBranch(workspaceId, branch, true, now, now),
            (_, existing) => existing with { IsDefault = true });
    }

    /// <summary>Explicitly tracks a branch (idempotent); counts as activity.</summary>
    public TrackedBranch Track(string workspaceId, string branch)
    {
        var now = time.GetUtcNow();
        return _branches.AddOrUpdate(
            (workspaceId, branch),
            _ => new TrackedBranch(workspaceId, branch, false, now, now),
            (_, existing) => existing with { LastActivityAt = now });
    }

    /// <summary>Stops tracking a branch. The default branch cannot be untracked.</summary>
    public bool Untrack(string workspaceId, string branch)
    {
        if (_branches.TryGetValue((workspaceId, branch), out var existing) && existing.IsDefault)
        {
            return false;
        }

        return _branches.TryRemove((workspaceId, branch), out _);
    }

    /// <summary>Records that a task ran on the branch (only tracked branches keep a clock).</summary>
    public void RecordTaskActivity(string workspaceId, string branch)
    {
        var now = time.GetUtcNow();
        if (_branches.TryGetValue((workspaceId, branch), out var existing))
        {
            _branches[(workspaceId, branch)] = existing with { LastActivityAt = now };
        }
    }

    /// <summary>True when the branch is tracked.</summary>
    public bool IsTracked(string workspaceId, string branch) => _branches.ContainsKey((workspaceId, branch));

    /// <summary>The workspace's tracked branches, default first.</summary>
    public IReadOnlyList<TrackedBranch> Tracked(string workspaceId) =>
        [.. _branches.Values.Where(b => b.WorkspaceId == workspaceId).OrderByDescending(b => b.IsDefault).ThenBy(b => b.Branch, StringComparer.Ordinal)];

    /// <summary>Untracks every non-default branch idle for <see cref="InactivityLimit"/> or longer; returns them (their pools go to 0).</summary>
    public IReadOnlyList<TrackedBranch> UntrackInactive()
    {
        var now = time.GetUtcNow();
        var dropped = new List<TrackedBranch>();
        foreach (var (key, value) in _branches)
        {
            if (ShouldUntrack(value, now) && _branches.TryRemove(key, out var removed))
            {
                dropped.Add(removed);
            }
        }

        return dropped;
    }

    /// <summary>The rule itself: non-default and no activity for the inactivity limit.</summary>
    public static bool ShouldUntrack(TrackedBranch branch, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(branch);
        return !branch.IsDefault && now - branch.LastActivityAt >= InactivityLimit;
    }
}
