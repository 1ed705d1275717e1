using System.Text;

namespace Whim.Control.Workspaces;

/// <summary>
/// Task display ids (<c>WW-12</c>) and branches (<c>whim-ww-12</c>). The prefix comes from the workspace name:
/// the initials of its first two words, or the first two letters of a single word; for <c>team/name</c> only
/// the part after the slash counts (<c>acme/billing</c> → <c>BI</c>, <c>my-app</c> → <c>MA</c>).
/// </summary>
internal static class DisplayIds
{
    public static string Prefix(string workspaceName)
    {
        var last = workspaceName[(workspaceName.LastIndexOf('/') + 1)..];
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var c in last)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                current.Append(char.ToUpperInvariant(c));
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words.Count switch
        {
            0 => "WS",
            1 => words[0].Length >= 2 ? words[0][..2] : words[0] + "X",
            _ => $"{words[0][0]}{words[1][0]}",
        };
    }

    /// <summary>The first free variant of <paramref name="prefix"/>: itself, then <c>AB2</c>, <c>AB3</c>, ...</summary>
    public static string Unique(string prefix, IReadOnlySet<string> taken)
    {
        if (!taken.Contains(prefix))
        {
            return prefix;
        }

        for (var i = 2; ; i++)
        {
            var candidate = prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }

    public static string DisplayId(string prefix, long number) => $"{prefix}-{number}";

    public static string Branch(string displayId) => "whim-" + displayId.ToLowerInvariant();
}
