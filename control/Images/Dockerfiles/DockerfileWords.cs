using System.Text;
using System.Text.Json;

namespace Whim.Control.Images.Dockerfiles;

/// <summary>Splits instruction arguments into words: JSON form (<c>["a","b"]</c>) or shell-like words with quotes.</summary>
internal static class DockerfileWords
{
    public static IReadOnlyList<string> Split(string arguments, out bool jsonForm)
    {
        jsonForm = false;
        var trimmed = arguments.AsSpan().Trim();
        if (trimmed.Length > 1 && trimmed[0] == '[' && TryJsonArray(trimmed.ToString(), out var words))
        {
            jsonForm = true;
            return words;
        }

        return SplitShell(arguments);
    }

    /// <summary>Leading <c>--name=value</c> / <c>--name</c> words of a shell-form instruction, and the words after them.</summary>
    public static (IReadOnlyList<KeyValuePair<string, string>> Flags, IReadOnlyList<string> Words) SplitFlags(string arguments)
    {
        var flags = new List<KeyValuePair<string, string>>();
        var words = SplitShell(arguments);
        var index = 0;
        while (index < words.Count && words[index].StartsWith("--", StringComparison.Ordinal) && words[index].Length > 2)
        {
            var word = words[index][2..];
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            flags.Add(eq < 0 ? new(word.ToLowerInvariant(), string.Empty) : new(word[..eq].ToLowerInvariant(), word[(eq + 1)..]));
            index++;
        }

        // Re-split the remainder so a JSON-form tail (COPY --chown=x ["a","b"]) is recognised.
        return (flags, Split(index > 0 ? SkipWords(arguments, index) : arguments, out _));
    }

    private static string SkipWords(string text, int count)
    {
        var i = 0;
        for (var skipped = 0; skipped < count; skipped++)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var quote = '\0';
            while (i < text.Length && (quote != '\0' || !char.IsWhiteSpace(text[i])))
            {
                if (quote == '\0' && (text[i] == '"' || text[i] == '\''))
                {
                    quote = text[i];
                }
                else if (quote != '\0' && text[i] == quote)
                {
                    quote = '\0';
                }

                i++;
            }
        }

        return text[i..];
    }

    private static bool TryJsonArray(string text, out IReadOnlyList<string> words)
    {
        words = [];
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            var list = new List<string>();
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    return false;
                }

                list.Add(item.GetString()!);
            }

            words = list;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static List<string> SplitShell(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        var quote = '\0';
        foreach (var c in text)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }

                continue;
            }

            if (c == '"' || c == '\'')
            {
                quote = c;
                inWord = true;
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }

                continue;
            }

            current.Append(c);
            inWord = true;
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        return words;
    }
}
