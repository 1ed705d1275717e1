using FluentAssertions;
using Whim.Bootstrap.Agent;
using Whim.Bootstrap.Configuration;
using Xunit;

namespace Whim.Bootstrap.Tests.Agent;

public sealed class AgentCommandLineTests
{
    [Fact]
    public void Claude_runs_in_print_mode_with_the_mcp_config_permission_mode_model_and_effort()
    {
        var command = AgentCommandLine.Build("claude", "fix it", new EffectiveConfig { PermissionMode = "acceptEdits", Model = "opus", ReasoningEffort = "High" }, "/home/node/.mcp.json", "/app");
        command.FileName.Should().Be("claude");
        command.Arguments.Should().Equal("-p", "fix it", "--mcp-config", "/home/node/.mcp.json", "--permission-mode", "acceptEdits", "--model", "opus", "--effort", "high");
    }

    [Fact]
    public void Claude_without_settings_gets_only_the_prompt_and_mcp_config()
    {
        AgentCommandLine.Build("claude", "p", new EffectiveConfig(), "/h/.mcp.json", "/app")
            .Arguments.Should().Equal("-p", "p", "--mcp-config", "/h/.mcp.json");
    }

    [Theory]
    [InlineData("bypassPermissions", new[] { "--dangerously-bypass-approvals-and-sandbox" })]
    [InlineData("acceptEdits", new[] { "--full-auto" })]
    [InlineData("plan", new[] { "--sandbox", "read-only" })]
    [InlineData(null, new string[0])]
    public void Codex_exec_maps_permission_mode_and_ends_with_the_prompt(string? mode, string[] expected)
    {
        var command = AgentCommandLine.Build("codex", "do it", new EffectiveConfig { PermissionMode = mode, Model = "gpt-5.4", ReasoningEffort = "xhigh" }, "/h/.mcp.json", "/app");
        command.FileName.Should().Be("codex");
        command.Arguments.Should().Equal(["exec", "--cd", "/app", "--skip-git-repo-check", .. expected, "--model", "gpt-5.4", "-c", "model_reasoning_effort=\"xhigh\"", "do it"]);
    }
}
