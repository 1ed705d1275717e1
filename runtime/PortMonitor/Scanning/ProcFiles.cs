using Microsoft.Win32.SafeHandles;

namespace Whim.PortMonitor.Scanning;

/// <summary>
/// Reads files under the proc root (<c>WHIM_PROC_ROOT</c>, default <c>/proc</c>). Tests point the root at a folder of
/// fixture files, so the parser and the resolver run unchanged against text a test wrote.
/// </summary>
internal sealed class ProcFiles(string root)
{
    /// <summary>The proc root folder.</summary>
    public string Root { get; } = root;

    /// <summary>
    /// Reads a whole file into <paramref name="buffer"/>, growing it when needed (procfs files report size 0, so
    /// the length is only known after reading). Returns the bytes read, or -1 when the file cannot be read.
    /// </summary>
    public static int ReadAll(string path, ref byte[] buffer)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }

        using (handle)
        {
            var total = 0;
            try
            {
                while (true)
                {
                    if (total == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    var read = RandomAccess.Read(handle, buffer.AsSpan(total), total);
                    if (read == 0)
                    {
                        return total;
                    }

                    total += read;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return -1;
            }
        }
    }

    /// <summary>A path below the root, e.g. <c>Path("net/tcp")</c>.</summary>
    public string Path(string relative) => System.IO.Path.Join(Root, relative);

    /// <summary>Reads a small text file such as <c>/proc/&lt;pid&gt;/comm</c>; null when it is gone or unreadable.</summary>
    public string? ReadText(string relative)
    {
        try
        {
            return File.ReadAllText(Path(relative));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
