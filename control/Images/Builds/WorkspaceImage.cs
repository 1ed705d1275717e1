using Whim.Control.Images.Dockerfiles;

namespace Whim.Control.Images.Builds;

/// <summary>Build status of a workspace image.</summary>
public enum ImageStatus
{
    Building,
    Ready,
    Failed,
}

/// <summary>
/// A workspace image. Manual images (<see cref="Branch"/> null) are active workspace-wide; repo-managed images are
/// active for their branch. Only a Ready and Compatible image can be active.
/// </summary>
public sealed record WorkspaceImage(
    string Id,
    string WorkspaceId,
    string? Branch,
    ImageSourceKind Source,
    ImageStatus Status,
    bool Compatible,
    bool Active,
    string ImageRef,
    string? FreshnessHash,
    DateTimeOffset CreatedAt,
    string? Error);

/// <summary>Workspace images and their build logs (the control API's database; in memory when not wired).</summary>
public interface IImageStore
{
    /// <summary>Creates or replaces the images, all or none (an activation changes several at once).</summary>
    Task PutAsync(IReadOnlyList<WorkspaceImage> images, CancellationToken cancellationToken);

    Task<WorkspaceImage?> GetAsync(string imageId, CancellationToken cancellationToken);

    /// <summary>The workspace's images, oldest first.</summary>
    Task<IReadOnlyList<WorkspaceImage>> ListAsync(string workspaceId, CancellationToken cancellationToken);

    Task AppendLogAsync(string imageId, IReadOnlyList<string> lines, CancellationToken cancellationToken);

    /// <summary>The build log so far, one line per entry.</summary>
    Task<IReadOnlyList<string>> LogAsync(string imageId, CancellationToken cancellationToken);
}

/// <summary>An in-memory image store.</summary>
public sealed class InMemoryImageStore : IImageStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WorkspaceImage> _images = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _logs = new(StringComparer.Ordinal);

    public Task PutAsync(IReadOnlyList<WorkspaceImage> images, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        lock (_gate)
        {
            foreach (var image in images)
            {
                _images[image.Id] = image;
            }
        }

        return Task.CompletedTask;
    }

    public Task<WorkspaceImage?> GetAsync(string imageId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_images.GetValueOrDefault(imageId));
        }
    }

    public Task<IReadOnlyList<WorkspaceImage>> ListAsync(string workspaceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<WorkspaceImage>>([.. _images.Values.Where(i => i.WorkspaceId == workspaceId).OrderBy(i => i.CreatedAt)]);
        }
    }

    public Task AppendLogAsync(string imageId, IReadOnlyList<string> lines, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lines);
        lock (_gate)
        {
            if (!_logs.TryGetValue(imageId, out var log))
            {
                _logs[imageId] = log = [];
            }

            log.AddRange(lines);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> LogAsync(string imageId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<string>>(_logs.TryGetValue(imageId, out var log) ? [.. log] : []);
        }
    }
}
