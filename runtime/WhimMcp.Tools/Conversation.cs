using System.Text.Json;
using System.Text.Json.Nodes;

namespace Whim.WhimMcp.Tools;

/// <summary>One message of an agent conversation.</summary>
internal sealed record ConversationMessage(string Role, string Text);

/// <summary>Reads user and assistant messages out of Claude Code and Codex JSONL session files (pure).</summary>
internal static class Conversation
{
    public const int MaxMessageChars = 2000;

    public static List<ConversationMessage> Parse(string jsonl)
    {
        var messages = new List<ConversationMessage>();
        foreach (var raw in jsonl.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] != '{')
            {
                continue;
            }

            JsonNode? entry;
            try
            {
                entry = JsonNode.Parse(line);
            }
            catch (JsonException)
            {
                continue;
            }

            // Claude Code: {"type":"user|assistant","message":{"role":..,"content":".."|[{"type":"text","text":..}]}}
            // Codex: {"type":"response_item","payload":{"type":"message","role":..,"content":[{"type":"input_text|output_text","text":..}]}}
            var message = entry?["message"] ?? (entry?["payload"]?["type"]?.ToString() == "message" ? entry["payload"] : null);
            var role = message?["role"]?.ToString();
            if (role is not ("user" or "assistant"))
            {
                continue;
            }

            var text = TextOf(message!["content"]);
            if (text.Length > 0)
            {
                messages.Add(new ConversationMessage(role, text.Length > MaxMessageChars ? text[..MaxMessageChars] + "…" : text));
            }
        }

        return messages;
    }

    private static string TextOf(JsonNode? content) => content switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s.Trim(),
        JsonArray parts => string.Join("\n", parts.Select(static p => p?["text"] is JsonValue t && t.TryGetValue<string>(out var s) ? s.Trim() : null).Where(static s => !string.IsNullOrEmpty(s))),
        _ => string.Empty,
    };
}
