using Whim.Control.Images.Builds;
using Whim.Control.Images.Reserves;

namespace Whim.Control.WorkspaceImages;

/// <summary>A workspace image as the API shows it; <c>log</c> only on the single-image read.</summary>
internal sealed record ImageView(
    string Id,
    string WorkspaceId,
    string? Branch,
    string Source,
    string Status,
    bool Compatible,
    bool Active,
    string ImageRef,
    string? FreshnessHash,
    DateTimeOffset CreatedAt,
    string? Error,
    IReadOnlyList<string>? Log)
{
    public static ImageView From(WorkspaceImage i, IReadOnlyList<string>? log = null) => new(
        i.Id, i.WorkspaceId, i.Branch, i.Source.ToString().ToLowerInvariant(), i.Status.ToString().ToLowerInvariant(),
        i.Compatible, i.Active, i.ImageRef, i.FreshnessHash, i.CreatedAt, i.Error, log);
}

/// <summary>
/// A build: a pasted <c>dockerfile</c> (manual image), or a <c>branch</c> and the <c>checkoutPath</c> of its checkout
/// (repo-managed, from whim.json / package.json). <c>secrets</c> are build-secret values by id (never stored or logged).
/// </summary>
internal sealed record BuildImageRequest(string? Dockerfile, string? Branch, string? CheckoutPath, Dictionary<string, string>? Secrets, bool? AutoActivate);

/// <summary>Tracks a branch; <c>default</c> makes it the workspace's default branch.</summary>
internal sealed record TrackBranchRequest(bool? Default);

/// <summary>A tracked branch's reserve target.</summary>
internal sealed record ReserveTargetRequest(int? Target);

/// <summary>A tracked branch with its reserve pool.</summary>
internal sealed record ReserveView(string Branch, bool IsDefault, DateTimeOffset TrackedAt, DateTimeOffset LastActivityAt, int Target, string ImageRef, int Warm)
{
    public static ReserveView From(TrackedBranch b, ReservePool? pool, string imageRef, int warm) =>
        new(b.Branch, b.IsDefault, b.TrackedAt, b.LastActivityAt, pool?.Target ?? 0, pool?.ImageRef ?? imageRef, warm);
}
