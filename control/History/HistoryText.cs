using System.Text;
using System.Text.Json;

namespace Whim.Control.History;

/// <summary>
/// Pulls the searchable text out of complete history lines: for conversation JSONL the string values of each record
/// (message text, tool input and output) without ids, timestamps and other bookkeeping; for shell history each
/// command line (bash's <c>#1700000000</c> timestamp lines skipped).
/// </summary>
internal static class HistoryText
{
    private const int MaxFragment = 16_000;

    private static readonly HashSet<string> s_skippedKeys = new(StringComparer.Ordinal)
    {
        "uuid", "parentUuid", "sessionId", "timestamp", "type", "id", "cwd", "version", "gitBranch", "requestId", "model", "role",
        "signature", "tool_use_id", "userType", "isSidechain", "leafUuid", "stop_reason", "stop_sequence", "media_type", "data",
    };

    /// <summary>The text of one complete line, or null when it holds nothing searchable.</summary>
    public static string? Extract(string kind, ReadOnlySpan<byte> line)
    {
        if (kind == StreamNames.Shell)
        {
            var command = Encoding.UTF8.GetString(line).Trim();
            return command.Length == 0 || (command[0] == '#' && command.Skip(1).All(char.IsAsciiDigit)) ? null : Cap(command);
        }

        if (kind != StreamNames.Conversation)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line.ToArray());
            var text = new StringBuilder();
            Collect(document.RootElement, text);
            return text.Length == 0 ? null : Cap(text.ToString().Trim());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Collect(JsonElement element, StringBuilder text)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                var s = element.GetString();
                if (!string.IsNullOrWhiteSpace(s))
                {
                    text.Append(s).Append('\n');
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, text);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!s_skippedKeys.Contains(property.Name))
                    {
                        Collect(property.Value, text);
                    }
                }

                break;
        }
    }

    private static string Cap(string text) => text.Length <= MaxFragment ? text : text[..MaxFragment];
}
