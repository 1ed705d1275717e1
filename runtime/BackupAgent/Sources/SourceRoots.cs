using Microsoft.Extensions.FileSystemGlobbing;
using Whim.BackupAgent.Configuration;

namespace Whim.BackupAgent.Sources;

/// <summary>
/// One place history comes from: a folder (every matching file below it) or a single file, and the stream-name prefix
/// its files get.
/// </summary>
internal sealed class SourceRoot
{
    private readonly Matcher? _filter;

    private SourceRoot(string path, string streamPrefix, bool isFile, string? include)
    {
        Path = System.IO.Path.GetFullPath(path);
        StreamPrefix = streamPrefix;
        IsFile = isFile;
        if (include is not null)
        {
            _filter = new Matcher(StringComparison.Ordinal);
            _filter.AddInclude(include);
        }
    }

    /// <summary>The folder, or the file.</summary>
    public string Path { get; }

    /// <summary>The stream name (file) or the prefix of the stream names (folder).</summary>
    public string StreamPrefix { get; }

    /// <summary>True when the root is one file.</summary>
    public bool IsFile { get; }

    public static SourceRoot Folder(string path, string streamPrefix, string include) => new(path, streamPrefix, false, include);

    public static SourceRoot File(string path, string stream) => new(path, stream, true, null);

    /// <summary>True when <paramref name="relative"/> (below a folder root) is backed up.</summary>
    public bool Includes(string relative) => _filter is null || _filter.Match(relative).HasMatches;

    /// <summary>The stream of a file below this root, or of the root file.</summary>
    public string StreamFor(string relative) => IsFile ? StreamPrefix : StreamName.Create(StreamPrefix, relative);

    /// <summary>True when <paramref name="fullPath"/> is this root or lies below it.</summary>
    public bool Contains(string fullPath) =>
        IsFile
            ? string.Equals(fullPath, Path, StringComparison.Ordinal)
            : fullPath.StartsWith(Path + "/", StringComparison.Ordinal);
}

/// <summary>
/// The configured roots: Claude Code sessions, Codex sessions, bash and zsh history, and the extra globs. Maps a file
/// to its stream name and, for restore, a stream name back to its file.
/// </summary>
internal sealed class SourceRoots
{
    public SourceRoots(IReadOnlyList<SourceRoot> roots)
    {
        Roots = roots;
    }

    /// <summary>Every root, built-in ones first.</summary>
    public IReadOnlyList<SourceRoot> Roots { get; }

    /// <summary>The roots for <paramref name="options"/>.</summary>
    public static SourceRoots From(BackupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var home = options.HomeDirectory;
        var roots = new List<SourceRoot>
        {
            SourceRoot.Folder(Path.Join(home, ".claude", "projects"), "claude/projects", "**/*.jsonl"),
            SourceRoot.Folder(Path.Join(home, ".codex", "sessions"), "codex/sessions", "**/*"),
            SourceRoot.File(Path.Join(home, ".bash_history"), "shell/bash_history"),
            SourceRoot.File(Path.Join(home, ".zsh_history"), "shell/zsh_history"),
        };
        foreach (var glob in options.ExtraGlobs)
        {
            roots.Add(ExtraRoot(home, glob));
        }

        return new SourceRoots(roots);
    }

    /// <summary>
    /// The file a restored stream is written to, or null when no root would have produced that name (a stream the
    /// agent does not own is never written, whatever the server sends).
    /// </summary>
    public string? PathFor(string stream)
    {
        if (!StreamName.IsValid(stream))
        {
            return null;
        }

        foreach (var root in Roots)
        {
            if (root.IsFile)
            {
                if (string.Equals(stream, root.StreamPrefix, StringComparison.Ordinal))
                {
                    return root.Path;
                }

                continue;
            }

            if (!stream.StartsWith(root.StreamPrefix + "/", StringComparison.Ordinal))
            {
                continue;
            }

            var relative = stream[(root.StreamPrefix.Length + 1)..];
            var path = Path.GetFullPath(Path.Join(root.Path, relative));
            if (root.Contains(path) && root.Includes(relative) && root.StreamFor(relative) == stream)
            {
                return path;
            }
        }

        return null;
    }

    // A glob's leading wildcard-free segments name the folder to walk; the rest filters below it.
    private static SourceRoot ExtraRoot(string home, string glob)
    {
        var segments = glob.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var literal = 0;
        while (literal < segments.Length && segments[literal].IndexOfAny(['*', '?', '[', '{']) < 0)
        {
            literal++;
        }

        var folder = string.Join('/', segments[..literal]);
        if (literal == segments.Length)
        {
            return SourceRoot.File(Path.Join(home, folder), StreamName.Create("extra", folder));
        }

        var prefix = literal == 0 ? "extra" : StreamName.Create("extra", folder);
        return SourceRoot.Folder(Path.Join(home, folder), prefix, string.Join('/', segments[literal..]));
    }
}
