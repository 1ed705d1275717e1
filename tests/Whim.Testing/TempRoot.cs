namespace Whim.Testing;

/// <summary>A temporary folder that stands in for <c>WHIM_ROOT</c>; deleted on dispose.</summary>
public sealed class TempRoot : IDisposable
{
    public TempRoot(string prefix = "whim-test-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder, with its parent created.</summary>
    public string File(string relative)
    {
        var full = System.IO.Path.Join(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
