using System.Collections.Concurrent;

namespace Whim.Control.Images.Reserves;

/// <summary>A branch whose image is built and whose reserve pool is kept.</summary>
public sealed record TrackedBranch(string WorkspaceId, string Branch, bool IsDefault, DateTimeOffset TrackedAt, DateTimeOffset LastActivityAt);

/// <summary>Where tracked branches are kept (the control API's database; in memory when not wired).</summary>
public interface IBranchStore
{
    Task<TrackedBranch?> GetAsync(string workspaceId, string branch, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the branches, all or none.</summary>
    Task PutAsync(IReadOnlyList<TrackedBranch> branches, CancellationToken cancellationToken);

    /// <summary>Removes a branch; false when it was not tracked.</summary>
    Task<bool> RemoveAsync(string workspaceId, string branch, CancellationToken cancellationToken);

    /// <summary>Every tracked branch, or those of one workspace.</summary>
    Task<IReadOnlyList<TrackedBranch>> ListAsync(string? workspaceId, CancellationToken cancellationToken);
}

/// <summary>An in-memory branch store.</summary>
public sealed class InMemoryBranchStore : IBranchStore
{
    private readonly ConcurrentDictionary<(string Workspace, string Branch), TrackedBranch> _branches = new();

    public Task<TrackedBranch?> GetAsync(string workspaceId, string branch, CancellationToken cancellationToken) =>
        Task.FromResult(_branches.GetValueOrDefault((workspaceId, branch)));

    public Task PutAsync(IReadOnlyList<TrackedBranch> branches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(branches);
        foreach (var branch in branches)
        {
            _branches[(branch.WorkspaceId, branch.Branch)] = branch;
        }

        return Task.CompletedTask;
    }

    public Task<bool> RemoveAsync(string workspaceId, string branch, CancellationToken cancellationToken) =>
        Task.FromResult(_branches.TryRemove((workspaceId, branch), out _));

    public Task<IReadOnlyList<TrackedBranch>> ListAsync(string? workspaceId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<TrackedBranch>>([.. _branches.Values.Where(b => workspaceId is null || b.WorkspaceId == workspaceId)]);
}

/// <summary>
/// Branch tracking rules: the default branch is tracked automatically (and never dropped for inactivity); other
/// branches only after an explicit <see cref="TrackAsync"/>, and they are untracked after
/// <see cref="InactivityLimit"/> without task activity. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class BranchTracker(IBranchStore store, TimeProvider time)
{
    /// <summary>How long a non-default branch stays tracked without a task.</summary>
    public static readonly TimeSpan InactivityLimit = TimeSpan.FromDays(14);

    /// <summary>Sets the workspace's default branch: tracked from now on; a previous default becomes an ordinary tracked branch.</summary>
    public async Task<TrackedBranch> SetDefaultBranchAsync(string workspaceId, string branch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var changes = new List<TrackedBranch>();
        foreach (var existing in await store.ListAsync(workspaceId, cancellationToken))
        {
            if (existing.IsDefault && existing.Branch != branch)
            {
                changes.Add(existing with { IsDefault = false, LastActivityAt = now });
            }
        }

        var current = await store.GetAsync(workspaceId, branch, cancellationToken);
        var tracked = current is null ? new TrackedBranch(workspaceId, branch, true, now, now) : current with { IsDefault = true };
        changes.Add(tracked);
        await store.PutAsync(changes, cancellationToken);
        return tracked;
    }

    /// <summary>Explicitly tracks a branch (idempotent); counts as activity.</summary>
    public async Task<TrackedBranch> TrackAsync(string workspaceId, string branch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var current = await store.GetAsync(workspaceId, branch, cancellationToken);
        var tracked = current is null ? new TrackedBranch(workspaceId, branch, false, now, now) : current with { LastActivityAt = now };
        await store.PutAsync([tracked], cancellationToken);
        return tracked;
    }

    /// <summary>Stops tracking a branch. The default branch cannot be untracked.</summary>
    public async Task<bool> UntrackAsync(string workspaceId, string branch, CancellationToken cancellationToken)
    {
        var current = await store.GetAsync(workspaceId, branch, cancellationToken);
        return current is not null && !current.IsDefault && await store.RemoveAsync(workspaceId, branch, cancellationToken);
    }

    /// <summary>Records that a task ran on the branch (only tracked branches keep a clock).</summary>
    public async Task RecordTaskActivityAsync(string workspaceId, string branch, CancellationToken cancellationToken)
    {
        var current = await store.GetAsync(workspaceId, branch, cancellationToken);
        if (current is not null)
        {
            await store.PutAsync([current with { LastActivityAt = time.GetUtcNow() }], cancellationToken);
        }
    }

    /// <summary>True when the branch is tracked.</summary>
    public async Task<bool> IsTrackedAsync(string workspaceId, string branch, CancellationToken cancellationToken) =>
        await store.GetAsync(workspaceId, branch, cancellationToken) is not null;

    /// <summary>The branch when it is tracked, else null.</summary>
    public Task<TrackedBranch?> GetAsync(string workspaceId, string branch, CancellationToken cancellationToken) =>
        store.GetAsync(workspaceId, branch, cancellationToken);

    /// <summary>The workspace's tracked branches, default first.</summary>
    public async Task<IReadOnlyList<TrackedBranch>> TrackedAsync(string workspaceId, CancellationToken cancellationToken) =>
        [.. (await store.ListAsync(workspaceId, cancellationToken)).OrderByDescending(b => b.IsDefault).ThenBy(b => b.Branch, StringComparer.Ordinal)];

    /// <summary>Untracks every non-default branch idle for <see cref="InactivityLimit"/> or longer; returns them (their pools go to 0).</summary>
    public async Task<IReadOnlyList<TrackedBranch>> UntrackInactiveAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var dropped = new List<TrackedBranch>();
        foreach (var branch in await store.ListAsync(null, cancellationToken))
        {
            if (ShouldUntrack(branch, now) && await store.RemoveAsync(branch.WorkspaceId, branch.Branch, cancellationToken))
            {
                dropped.Add(branch);
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
