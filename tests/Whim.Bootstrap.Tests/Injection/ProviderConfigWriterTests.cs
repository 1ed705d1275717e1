using System.Text.Json;
using FluentAssertions;
using Tomlyn.Model;
using Whim.Bootstrap.Configuration;
using Whim.Bootstrap.Injection;
using Whim.Testing;
using Xunit;

namespace Whim.Bootstrap.Tests.Injection;

public sealed class ProviderConfigWriterTests
{
    private static readonly BuiltInServer s_whim = new("/whim/bin/Whim.WhimMcp", [], new Dictionary<string, string>
    {
        ["WHIM_API_URL"] = "http://control",
        ["WHIM_INTERNAL_API_TOKEN_FILE"] = "/whim/secrets/internal-api-token",
        ["WHIM_TASK_ID"] = "t1",
    });

    private static readonly EffectiveConfig s_config = new()
    {
        Instructions = "Be nice\n",
        Skills = [new SkillSpec { Name = "s1", Content = "# S1", Files = new() { ["bin/run.sh"] = "echo hi" } }],
        McpServers =
        [
            new("db", new McpServerSpec { Type = "stdio", Command = "db-mcp", Args = ["--ro"], Env = new() { ["DB"] = "x" } }),
            new("web", new McpServerSpec { Type = "http", Url = "https://mcp.example/sse", Headers = new() { ["X-Key"] = "k" } }),
        ],
        Plugins = ["lint@market"],
        Model = "m1",
        ReasoningEffort = "High",
    };

    [Fact]
    public void Claude_gets_claude_md_skills_mcp_json_with_the_whim_server_and_approving_settings()
    {
        using var root = new TempRoot();
        var locations = new AgentLocations(Path.Join(root.Path, "app"), Path.Join(root.Path, "home"));
        Directory.CreateDirectory(locations.ClaudeDirectory);
        File.WriteAllText(locations.ClaudeSettings, """{"theme":"dark","enabledPlugins":{"old@m":true}}""");

        new ProviderConfigWriter(locations).Write("claude", s_config, s_whim);

        File.ReadAllText(Path.Join(locations.AppDirectory, "CLAUDE.md")).Should().Be("Be nice\n");
        File.Exists(Path.Join(locations.AppDirectory, "AGENTS.md")).Should().BeFalse();
        File.ReadAllText(Path.Join(locations.ClaudeDirectory, "skills", "s1", "SKILL.md")).Should().StartWith("---\nname: s1\n");
        File.ReadAllText(Path.Join(locations.ClaudeDirectory, "skills", "s1", "bin", "run.sh")).Should().Be("echo hi");

        using var mcp = JsonDocument.Parse(File.ReadAllText(locations.McpJson));
        var servers = mcp.RootElement.GetProperty("mcpServers");
        servers.EnumerateObject().Select(p => p.Name).Should().Equal("whim", "db", "web");
        servers.GetProperty("whim").GetProperty("command").GetString().Should().Be("/whim/bin/Whim.WhimMcp");
        servers.GetProperty("whim").GetProperty("env").GetProperty("WHIM_TASK_ID").GetString().Should().Be("t1");
        servers.GetProperty("db").GetProperty("args")[0].GetString().Should().Be("--ro");
        servers.GetProperty("web").GetProperty("type").GetString().Should().Be("http");
        servers.GetProperty("web").GetProperty("headers").GetProperty("X-Key").GetString().Should().Be("k");
        File.GetUnixFileMode(locations.McpJson).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        using var settings = JsonDocument.Parse(File.ReadAllText(locations.ClaudeSettings));
        settings.RootElement.GetProperty("theme").GetString().Should().Be("dark", "existing keys are kept");
        settings.RootElement.GetProperty("enableAllProjectMcpServers").GetBoolean().Should().BeTrue();
        settings.RootElement.GetProperty("enabledMcpjsonServers").EnumerateArray().Select(e => e.GetString()).Should().Equal("whim", "db", "web");
        settings.RootElement.GetProperty("enabledPlugins").EnumerateObject().Select(p => p.Name).Should().Equal("old@m", "lint@market");
        settings.RootElement.GetProperty("model").GetString().Should().Be("m1");
    }

    [Fact]
    public void Codex_gets_agents_md_codex_skills_and_mcp_servers_in_config_toml_keeping_other_keys()
    {
        using var root = new TempRoot();
        var locations = new AgentLocations(Path.Join(root.Path, "app"), Path.Join(root.Path, "home"));
        Directory.CreateDirectory(locations.CodexDirectory);
        File.WriteAllText(locations.CodexConfig, "approval_policy = \"never\"\n[mcp_servers.stale]\ncommand = \"gone\"\n");

        var writer = new ProviderConfigWriter(locations);
        writer.Write("codex", s_config, s_whim);
        var first = File.ReadAllText(locations.CodexConfig);
        writer.Write("codex", s_config, s_whim);

        File.ReadAllText(Path.Join(locations.AppDirectory, "AGENTS.md")).Should().Be("Be nice\n");
        File.Exists(Path.Join(locations.CodexDirectory, "skills", "s1", "SKILL.md")).Should().BeTrue();
        var text = File.ReadAllText(locations.CodexConfig);
        text.Should().Be(first, "rewriting is idempotent");
        var toml = CodexToml.Parse(text);
        toml["approval_policy"].Should().Be("never");
        toml["model"].Should().Be("m1");
        toml["model_reasoning_effort"].Should().Be("high");
        var servers = (TomlTable)toml["mcp_servers"];
        servers.Keys.Should().BeEquivalentTo(["whim", "db", "web"], "bootstrap owns mcp_servers");
        var whim = (TomlTable)servers["whim"];
        whim["command"].Should().Be("/whim/bin/Whim.WhimMcp");
        ((TomlTable)whim["env"])["WHIM_INTERNAL_API_TOKEN_FILE"].Should().Be("/whim/secrets/internal-api-token");
        ((TomlArray)((TomlTable)servers["db"])["args"]).Should().Equal("--ro");
        ((TomlTable)servers["web"])["url"].Should().Be("https://mcp.example/sse");
        ((TomlTable)((TomlTable)servers["web"])["http_headers"])["X-Key"].Should().Be("k");
    }
}
