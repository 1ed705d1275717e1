namespace Whim.Control.Images.Config;

/// <summary>Read access to one revision of a repository (a checkout, or a fake in tests).</summary>
public interface IRepositoryFiles
{
    /// <summary>The bytes of the file at <paramref name="path"/> (relative, <c>/</c>-separated), or null when absent.</summary>
    byte[]? TryRead(string path);
}

/// <summary>A repository checked out in a folder. Paths that would leave the folder read as absent.</summary>
public sealed class DirectoryRepositoryFiles(string root) : IRepositoryFiles
{
    private readonly string _root = Path.GetFullPath(root);

    /// <summary>The checkout's folder.</summary>
    public string Root => _root;

    public byte[]? TryRead(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(Path.Join(_root, path));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(full))
        {
            return null;
        }

        return File.ReadAllBytes(full);
    }
}
