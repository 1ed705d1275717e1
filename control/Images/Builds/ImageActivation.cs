namespace Whim.Control.Images.Builds;

/// <summary>
/// The pure activation rules: only a Ready and Compatible image may be activated; at most one image is active per
/// scope (the workspace for manual images, the branch for repo-managed ones); activating one deactivates the other
/// in its scope. The image a task uses is its branch's active image, else the workspace's, else the default runtime.
/// </summary>
public static class ImageActivation
{
    /// <summary>Null when <paramref name="image"/> may be activated, else the reason.</summary>
    public static string? CannotActivate(WorkspaceImage image) => image switch
    {
        { Status: not ImageStatus.Ready } => $"image {image.Id} is {image.Status}, not Ready",
        { Compatible: false } => $"image {image.Id} failed the runtime compatibility validation",
        _ => null,
    };

    /// <summary>The images whose active flag changes when <paramref name="image"/> is activated (it included).</summary>
    public static IReadOnlyList<WorkspaceImage> Activate(WorkspaceImage image, IReadOnlyList<WorkspaceImage> workspaceImages)
    {
        var changes = new List<WorkspaceImage>();
        foreach (var other in workspaceImages)
        {
            if (other.Active && other.Id != image.Id && other.Branch == image.Branch)
            {
                changes.Add(other with { Active = false });
            }
        }

        changes.Add(image with { Active = true });
        return changes;
    }

    /// <summary>The image reference a task on <paramref name="branch"/> runs.</summary>
    public static string Resolve(IReadOnlyList<WorkspaceImage> workspaceImages, string branch, string defaultRuntime)
    {
        string? workspaceWide = null;
        foreach (var image in workspaceImages)
        {
            if (!image.Active)
            {
                continue;
            }

            if (image.Branch == branch)
            {
                return image.ImageRef;
            }

            if (image.Branch is null)
            {
                workspaceWide = image.ImageRef;
            }
        }

        return workspaceWide ?? defaultRuntime;
    }
}
