using System.Text.Json;
using FluentAssertions;
using Whim.Bootstrap.Agent;
using Whim.Bootstrap.Configuration;
using Xunit;

namespace Whim.Bootstrap.Tests.Agent;

public sealed class AgentCommandLineTests
{
    [Fact]
    public void Claude_reads_stream_json_prompts_on_stdin_with_the_mcp_config_permission_mode_model_and_effort()
    {
        var command = AgentCommandLine.Claude(new EffectiveConfig { PermissionMode = "acceptEdits", Model = "opus", ReasoningEffort = "High" }, "/home/node/.mcp.json", continueSession: false);
        command.FileName.Should().Be("claude");
        command.Arguments.Should().Equal(
            "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--mcp-config", "/home/node/.mcp.json",
            "--permission-mode", "acceptEdits", "--model", "opus", "--effort", "high");
    }

    [Fact]
    public void Claude_restarted_after_a_delivered_prompt_continues_the_latest_conversation()
    {
        AgentCommandLine.Claude(new EffectiveConfig(), "/h/.mcp.json", continueSession: true)
            .Arguments.Should().Equal("-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--mcp-config", "/h/.mcp.json", "--continue");
    }

    [Fact]
    public void A_prompt_is_one_stream_json_user_message_line()
    {
        var line = ClaudeStreamSession.UserMessage("fix \"it\"\nnow");
        line[^1].Should().Be((byte)'\n');
        line[..^1].Should().NotContain((byte)'\n', "one message is one line");
        using var json = JsonDocument.Parse(line);
        json.RootElement.GetProperty("type").GetString().Should().Be("user");
        var message = json.RootElement.GetProperty("message");
        message.GetProperty("role").GetString().Should().Be("user");
        message.GetProperty("content")[0].GetProperty("text").GetString().Should().Be("fix \"it\"\nnow");
    }

    [Theory]
    [InlineData("bypassPermissions", new[] { "--dangerously-bypass-approvals-and-sandbox" })]
    [InlineData("acceptEdits", new[] { "--full-auto" })]
    [InlineData("plan", new[] { "--sandbox", "read-only" })]
    [InlineData(null, new string[0])]
    public void Codex_exec_maps_permission_mode_and_ends_with_the_prompt(string? mode, string[] expected)
    {
        var command = AgentCommandLine.Codex("do it", new EffectiveConfig { PermissionMode = mode, Model = "gpt-5.4", ReasoningEffort = "xhigh" }, "/app", resume: false);
        command.FileName.Should().Be("codex");
        command.Arguments.Should().Equal(["exec", "--cd", "/app", "--skip-git-repo-check", .. expected, "--model", "gpt-5.4", "-c", "model_reasoning_effort=\"xhigh\"", "do it"]);
    }

    [Fact]
    public void Codex_later_prompts_resume_the_latest_session()
    {
        AgentCommandLine.Codex("next", new EffectiveConfig(), "/app", resume: true)
            .Arguments.Should().Equal("exec", "--cd", "/app", "--skip-git-repo-check", "resume", "--last", "next");
    }
}
