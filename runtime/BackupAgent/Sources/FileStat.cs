using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Whim.BackupAgent.Sources;

/// <summary>Which file a path names: device and inode. A different identity at the same path means rotation.</summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode)
{
    public override string ToString() => $"{Device}:{Inode}";
}

/// <summary>The kind of a directory entry, as <c>lstat</c> sees it.</summary>
internal enum FileKind
{
    Missing,
    Regular,
    Directory,
    Symlink,
    Other,
}

/// <summary>What <c>statx</c> tells about one file.</summary>
internal readonly record struct FileStatus(FileKind Kind, FileIdentity Identity, long Length);

/// <summary>
/// <c>statx(2)</c>, because .NET exposes neither inodes nor "is this a regular file". <c>struct statx</c> has the same
/// layout on every architecture, unlike <c>struct stat</c>, so one declaration serves x64 and arm64.
/// </summary>
internal static partial class FileStat
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;

    /// <summary>Describes the entry at <paramref name="path"/> without following a final symlink.</summary>
    public static FileStatus OfPath(string path, bool followSymlink = false) =>
        Query(AtFdCwd, path, followSymlink ? 0 : AtSymlinkNoFollow);

    /// <summary>Describes the open file behind <paramref name="handle"/> (immune to renames after opening).</summary>
    public static FileStatus OfHandle(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            return Query((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static unsafe FileStatus Query(int dirFd, string path, int flags)
    {
        var buffer = stackalloc byte[StatxSize];
        if (Statx(dirFd, path, flags, StatxBasicStats, buffer) != 0)
        {
            return new FileStatus(FileKind.Missing, default, 0);
        }

        var mode = *(ushort*)(buffer + 28);
        var inode = *(ulong*)(buffer + 32);
        var size = *(long*)(buffer + 40);
        var device = ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.Symlink,
            _ => FileKind.Other,
        };
        return new FileStatus(kind, new FileIdentity(device, inode), size);
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);
}
