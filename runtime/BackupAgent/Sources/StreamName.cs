using System.Security.Cryptography;
using System.Text;

namespace Whim.BackupAgent.Sources;

/// <summary>
/// Turns a file's path relative to its source root into a stream name the history contract accepts: relative,
/// <c>/</c>-separated, no <c>.</c> or <c>..</c> segment, printable ASCII, at most <see cref="MaxLength"/> characters.
/// A name that had to be changed gets a short hash of the original appended, so two different files never collide.
/// </summary>
internal static class StreamName
{
    /// <summary>The contract's limit.</summary>
    public const int MaxLength = 512;

    private const int HashLength = 8;

    /// <summary>Builds <c>prefix/relative</c> with every segment of <paramref name="relative"/> sanitised.</summary>
    public static string Create(string prefix, string relative)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentNullException.ThrowIfNull(relative);
        var segments = relative.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var text = new StringBuilder(prefix.Length + relative.Length + 16).Append(prefix);
        var changed = segments.Length == 0;
        foreach (var segment in segments)
        {
            text.Append('/');
            changed |= AppendSegment(text, segment);
        }

        var name = text.ToString();
        if (!changed && name.Length <= MaxLength)
        {
            return name;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prefix + "/" + relative)))[..HashLength];
        var budget = MaxLength - HashLength - 1;
        var slash = name.LastIndexOf('/');
        var dot = name.LastIndexOf('.');
        var extension = dot > slash && name.Length - dot <= 16 ? name[dot..] : string.Empty;
        var stem = name[..(name.Length - extension.Length)];
        if (stem.Length + extension.Length > budget)
        {
            stem = stem[..(budget - extension.Length)];
        }

        return stem + "~" + hash + extension;
    }

    /// <summary>True when <paramref name="name"/> obeys the contract (what the server would accept).</summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || name[0] == '/')
        {
            return false;
        }

        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..")
            {
                return false;
            }

            foreach (var c in segment)
            {
                if (!IsAllowed(c))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool AppendSegment(StringBuilder text, string segment)
    {
        var changed = false;
        if (segment is "." or "..")
        {
            text.Append('_');
            changed = true;
        }

        foreach (var c in segment)
        {
            if (IsAllowed(c))
            {
                text.Append(c);
            }
            else
            {
                text.Append('_');
                changed = true;
            }
        }

        return changed;
    }

    private static bool IsAllowed(char c) => c is >= ' ' and <= '~' and not '\\';
}
