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

/// <summary>Workspace images and their build logs (the control API's database; in memory for now).</summary>
public interface IImageStore
{
    void Put(WorkspaceImage image);

    WorkspaceImage? Get(string imageId);

    IReadOnlyList<WorkspaceImage> List(string workspaceId);

    void AppendLog(string imageId, string line);

    /// <summary>The build log so far, one line per entry.</summary>
    IReadOnlyList<string> Log(string imageId);
}

/// <summary>An in-memory image store.</summary>
public sealed class InMemoryImageStore : IImageStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WorkspaceImage> _images = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _logs = new(StringComparer.Ordinal);

    public void Put(WorkspaceImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        lock (_gate)
        {
            _images[image.Id] = image;
        }
    }

    public WorkspaceImage? Get(string imageId)
    {
        lock (_gate)
        {
            return _images.GetValueOrDefault(imageId);
        }
    }

    public IReadOnlyList<WorkspaceImage> List(string workspaceId)
    {
        lock (_gate)
        {
            return [.. _images.Values.Where(i => i.WorkspaceId == workspaceId).OrderBy(i => i.CreatedAt)];
        }
    }

    public void AppendLog(string imageId, string line)
    {
        lock (_gate)
        {
            if (!_logs.TryGetValue(imageId, out var log))
            {
                _logs[imageId] = log = [];
            }

            log.Add(line);
        }
    }

    public IReadOnlyList<string> Log(string imageId)
    {
        lock (_gate)
        {
            return _logs.TryGetValue(imageId, out var log) ? [.. log] : [];
        }
    }
}
