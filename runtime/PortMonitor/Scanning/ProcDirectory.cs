using System.Buffers.Text;
using System.Runtime.InteropServices;

namespace Whim.PortMonitor.Scanning;

/// <summary>
/// Reads <c>/proc</c> directories through libc (<c>opendir</c>, <c>readdir64</c>, <c>readlinkat</c>) for the owner
/// walk. The BCL's enumerator stats every symlink it meets and <c>FileInfo.LinkTarget</c> lstats it again before
/// reading it: three syscalls and three strings for each fd of every process read. Here an fd costs one
/// <c>readlinkat</c> into a reused buffer, and nothing is allocated per entry. Not thread-safe (one owner walk at
/// a time).
/// </summary>
internal sealed unsafe partial class ProcDirectory
{
    private const int NameOffset = 19; // dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name
    private readonly byte[] _link = new byte[64];

    /// <summary>Appends the entries of <paramref name="path"/> whose names are decimal numbers; false when it cannot be read.</summary>
    public static bool ReadNumericNames(string path, List<int> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var dir = Native.OpenDir(path);
        if (dir == 0)
        {
            return false;
        }

        try
        {
            for (var entry = Native.ReadDir64(dir); entry != null; entry = Native.ReadDir64(dir))
            {
                if (TryParseNumber(Name(entry), out var number) && number <= int.MaxValue)
                {
                    into.Add((int)number);
                }
            }

            return true;
        }
        finally
        {
            _ = Native.CloseDir(dir);
        }
    }

    /// <summary>
    /// Appends the inodes of the <c>socket:[inode]</c> links in a <c>/proc/&lt;pid&gt;/fd</c> folder; false when it
    /// cannot be read (the process has gone, or it is not ours to read).
    /// </summary>
    public bool ReadSocketInodes(string fdPath, List<ulong> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var dir = Native.OpenDir(fdPath);
        if (dir == 0)
        {
            return false;
        }

        try
        {
            var fd = Native.DirFd(dir);
            fixed (byte* link = _link)
            {
                for (var entry = Native.ReadDir64(dir); entry != null; entry = Native.ReadDir64(dir))
                {
                    if (entry[NameOffset] == (byte)'.')
                    {
                        continue;
                    }

                    // A target longer than the buffer is not a socket link ("socket:[" + at most 20 digits + "]").
                    var length = Native.ReadLinkAt(fd, entry + NameOffset, link, _link.Length);
                    if (length > 0 && length < _link.Length && TryParseSocketLink(new ReadOnlySpan<byte>(link, (int)length), out var inode))
                    {
                        into.Add(inode);
                    }
                }
            }

            return true;
        }
        finally
        {
            _ = Native.CloseDir(dir);
        }
    }

    /// <summary>Reads <c>socket:[12345]</c>.</summary>
    public static bool TryParseSocketLink(ReadOnlySpan<byte> target, out ulong inode)
    {
        inode = 0;
        return target.StartsWith("socket:["u8)
            && target.EndsWith("]"u8)
            && TryParseNumber(target[8..^1], out inode);
    }

    private static bool TryParseNumber(ReadOnlySpan<byte> text, out ulong number) =>
        Utf8Parser.TryParse(text, out number, out var consumed) && consumed == text.Length && text.Length > 0 && text[0] is >= (byte)'0' and <= (byte)'9';

    private static ReadOnlySpan<byte> Name(byte* entry) => MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + NameOffset);

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "opendir", StringMarshalling = StringMarshalling.Utf8)]
        public static partial nint OpenDir(string path);

        [LibraryImport("libc", EntryPoint = "readdir64")]
        public static partial byte* ReadDir64(nint dir);

        [LibraryImport("libc", EntryPoint = "dirfd")]
        public static partial int DirFd(nint dir);

        [LibraryImport("libc", EntryPoint = "readlinkat")]
        public static partial nint ReadLinkAt(int dirFd, byte* path, byte* buffer, nint size);

        [LibraryImport("libc", EntryPoint = "closedir")]
        public static partial int CloseDir(nint dir);
    }
}
