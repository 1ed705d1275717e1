namespace Whim.Control.Images.Config;

/// <summary>Normalises repository-relative paths from configuration and Dockerfiles, refusing ones that escape the repository.</summary>
internal static class RepoPath
{
    /// <summary>
    /// <c>./a//b/./c</c> → <c>a/b/c</c>; <c>.</c> or empty → <c>.</c>. Returns null with a reason for absolute paths,
    /// <c>..</c> segments, backslashes and control characters.
    /// </summary>
    public static string? Normalize(string path, out string? reason)
    {
        reason = null;
        if (path.Length > 1024)
        {
            reason = "is longer than 1024 characters";
            return null;
        }

        foreach (var c in path)
        {
            if (char.IsControl(c))
            {
                reason = "contains a control character";
                return null;
            }

            if (c == '\\')
            {
                reason = "uses '\\'; write paths with '/'";
                return null;
            }
        }

        if (path.StartsWith('/'))
        {
            reason = "must be relative to the repository root";
            return null;
        }

        var kept = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                reason = "must not contain '..'";
                return null;
            }

            kept.Add(segment);
        }

        return kept.Count == 0 ? "." : string.Join('/', kept);
    }
}
