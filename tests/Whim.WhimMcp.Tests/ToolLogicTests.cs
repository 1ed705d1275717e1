using System.Text.Json.Nodes;
using FluentAssertions;
using Whim.WhimMcp.Tools;

namespace Whim.WhimMcp.Tests;

/// <summary>Pure parts of the tools: conversation extraction and secret masking.</summary>
public sealed class ToolLogicTests
{
    [Fact]
    public void Conversation_reads_claude_and_codex_messages_and_skips_the_rest()
    {
        const string jsonl =
            """{"type":"user","message":{"role":"user","content":"hello"}}""" + "\n" +
            """{"type":"summary","summary":"x"}""" + "\n" +
            "not json\n" +
            """{"type":"assistant","message":{"role":"assistant","content":[{"type":"tool_use","id":"1"},{"type":"text","text":"done"}]}}""" + "\n" +
            """{"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"codex asks"}]}}""" + "\n";

        var messages = Conversation.Parse(jsonl);

        messages.Should().Equal(new ConversationMessage("user", "hello"), new ConversationMessage("assistant", "done"), new ConversationMessage("user", "codex asks"));
    }

    [Fact]
    public void Conversation_shortens_long_messages()
    {
        var text = new string('a', Conversation.MaxMessageChars + 10);
        var messages = Conversation.Parse("{\"message\":{\"role\":\"user\",\"content\":\"" + text + "\"}}");
        messages.Single().Text.Should().HaveLength(Conversation.MaxMessageChars + 1).And.EndWith("…");
    }

    [Fact]
    public void Mask_hides_env_values_at_every_level_and_keeps_the_rest()
    {
        var config = JsonNode.Parse("""{"env":{"KEY":"secret"},"mcpServers":[{"name":"x","env":{"T":"tok"},"headers":{"Authorization":"Bearer b"}}],"instructions":"keep"}""")!;

        WorkspaceTools.Mask(config);

        var text = config.ToJsonString();
        text.Should().NotContain("secret").And.NotContain("tok\"").And.NotContain("Bearer b").And.Contain("keep").And.Contain("\"KEY\":\"***\"");
    }
}
