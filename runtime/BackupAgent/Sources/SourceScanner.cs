namespace Whim.BackupAgent.Sources;

/// <summary>A file to back up.</summary>
internal sealed record SourceFile(string Stream, string Path);

/// <summary>Something under a root that was deliberately not backed up, and why (shown in <c>/status</c>).</summary>
internal sealed record SkippedEntry(string Path, string Reason);

/// <summary>What one scan found.</summary>
internal sealed record ScanResult(IReadOnlyList<SourceFile> Files, IReadOnlyList<SkippedEntry> Skipped);

/// <summary>
/// Walks the roots and lists the regular files to back up. Symlinks are followed only when their final target is a
/// regular file inside a root; anything else a link leads to is skipped and reported, and symlinked folders are never
/// walked, so nothing outside the roots is ever read.
/// </summary>
internal sealed class SourceScanner(SourceRoots roots)
{
    public const string OutsideRoots = "symlink leads outside the backup roots";
    public const string SymlinkedFolder = "symlinked folder not followed";
    public const string NotRegular = "not a regular file";

    public ScanResult Scan()
    {
        var files = new List<SourceFile>();
        var skipped = new List<SkippedEntry>();
        foreach (var root in roots.Roots)
        {
            if (root.IsFile)
            {
                Consider(root, root.Path, string.Empty, files, skipped);
                continue;
            }

            if (FileStat.OfPath(root.Path, followSymlink: true).Kind == FileKind.Directory)
            {
                Walk(root, root.Path, files, skipped);
            }
        }

        return new ScanResult(files, skipped);
    }

    private void Walk(SourceRoot root, string folder, List<SourceFile> files, List<SkippedEntry> skipped)
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var entry in entries)
        {
            var status = FileStat.OfPath(entry);
            if (status.Kind == FileKind.Directory)
            {
                Walk(root, entry, files, skipped);
                continue;
            }

            var relative = Path.GetRelativePath(root.Path, entry).Replace('\\', '/');
            if (root.Includes(relative))
            {
                Consider(root, entry, relative, files, skipped);
            }
            else if (status.Kind == FileKind.Symlink && FileStat.OfPath(entry, followSymlink: true).Kind == FileKind.Directory)
            {
                skipped.Add(new SkippedEntry(entry, SymlinkedFolder));
            }
        }
    }

    private void Consider(SourceRoot root, string path, string relative, List<SourceFile> files, List<SkippedEntry> skipped)
    {
        var status = FileStat.OfPath(path);
        switch (status.Kind)
        {
            case FileKind.Missing:
                return;
            case FileKind.Regular:
                files.Add(new SourceFile(root.StreamFor(relative), path));
                return;
            case FileKind.Symlink:
                var reason = SymlinkVerdict(path);
                if (reason is null)
                {
                    files.Add(new SourceFile(root.StreamFor(relative), path));
                }
                else
                {
                    skipped.Add(new SkippedEntry(path, reason));
                }

                return;
            default:
                skipped.Add(new SkippedEntry(path, NotRegular));
                return;
        }
    }

    // Null when the link may be followed.
    private string? SymlinkVerdict(string path)
    {
        FileSystemInfo? target;
        try
        {
            target = File.ResolveLinkTarget(path, returnFinalTarget: true);
        }
        catch (IOException)
        {
            return OutsideRoots;
        }

        if (target is null)
        {
            return NotRegular;
        }

        var full = Path.GetFullPath(target.FullName);
        if (FileStat.OfPath(full).Kind != FileKind.Regular)
        {
            return FileStat.OfPath(full).Kind == FileKind.Missing ? OutsideRoots : NotRegular;
        }

        foreach (var root in roots.Roots)
        {
            if (root.Contains(full))
            {
                return null;
            }
        }

        return OutsideRoots;
    }
}
