namespace Whim.Testing;

/// <summary>A temporary folder that stands in for <c>WHIM_ROOT</c>; deleted on dispose unless <see cref="KeepVariable"/> is 1.</summary>
public sealed class TempRoot : IDisposable
{
    /// <summary>Set to 1 to keep every temp root (logs, a service's <c>.out</c>) for a look after a failed run.</summary>
    public const string KeepVariable = "WHIM_TEST_KEEP_ROOTS";

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
        if (Environment.GetEnvironmentVariable(KeepVariable) == "1")
        {
            return;
        }

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
