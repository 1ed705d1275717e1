using System.Text.Json.Nodes;
using FluentAssertions;
using Whim.Testing;
using Whim.WhimMcp.Tools;

namespace Whim.WhimMcp.Tests;

/// <summary>
/// The MCP TypeScript SDK client (tools/mcp-client/scenario.mjs) against the stdio server binary and the control API's
/// HTTP endpoint: it lists exactly the specified tools with their parameters, calls every tool and checks each effect
/// in the control API.
/// </summary>
public sealed class McpScenarioTests(ControlFixture control) : IClassFixture<ControlFixture>
{
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Stdio_server_reading_its_token_from_a_file_lists_the_specified_tools_and_every_tool_has_its_effect()
    {
        // As bootstrap starts it: the internal token in a 0600 file named by WHIM_INTERNAL_API_TOKEN_FILE, not in its config.
        using var secrets = new TempRoot("whim-mcp-secrets-");
        var tokenFile = Path.Join(secrets.Path, "internal-api-token");
        await File.WriteAllTextAsync(tokenFile, control.TaskToken + "\n");
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var result = await RunScenarioAsync(
            ["--transport", "stdio", "--command", "dotnet", "--arg", RepoLayout.ProjectDll("runtime/WhimMcp", "Whim.WhimMcp")],
            new Dictionary<string, string?>
            {
                ["WHIM_API_URL"] = control.App.BaseAddress.ToString(), ["WHIM_INTERNAL_API_TOKEN_FILE"] = tokenFile, ["WHIM_INTERNAL_API_TOKEN"] = null,
                ["WHIM_TASK_ID"] = control.TaskId, ["WHIM_ROOT"] = Path.Join(Path.GetTempPath(), "whim-mcp-stdio-" + Guid.NewGuid().ToString("N")[..8]),
            });

        AssertScenario(result);
    }

    [Fact]
    public async Task Http_endpoint_lists_the_same_tools_and_every_tool_has_its_effect()
    {
        var result = await RunScenarioAsync(["--transport", "http", "--url", control.McpUrl.ToString(), "--token", control.McpToken], new Dictionary<string, string?>());

        AssertScenario(result);
    }

    private static void AssertScenario(JsonNode result)
    {
        result["failures"]!.AsArray().Select(f => f!.GetValue<string>()).Should().BeEmpty();
        result["ok"]!.GetValue<bool>().Should().BeTrue();
        result["tools"]!.AsArray().Select(t => t!.GetValue<string>()).Should().BeEquivalentTo(WhimToolsRegistration.ToolNames);
        result["checks"]!.GetValue<int>().Should().BeGreaterThan(150);
    }

    private async Task<JsonNode> RunScenarioAsync(string[] transport, Dictionary<string, string?> environment)
    {
        var client = Path.Join(RepoLayout.Root, "tools", "mcp-client");
        if (!File.Exists(Path.Join(client, "node_modules", "@modelcontextprotocol", "sdk", "package.json")))
        {
            throw new InvalidOperationException("The MCP TypeScript SDK client is missing: run scripts/deps/mcp.sh (installs tools/mcp-client/node_modules).");
        }

        string[] common =
        [
            "--api", control.App.BaseAddress.ToString(), "--admin", ControlFixture.AdminToken, "--seed-task", control.TaskId,
            "--seed-token", control.TaskToken, "--user-name", ControlFixture.UserName,
        ];
        await using var node = RunningProcess.Start(new ProcessSpec("node", [Path.Join(client, "scenario.mjs"), .. transport, .. common])
        {
            WorkingDirectory = client,
            Environment = environment,
        });
        var exit = await node.WaitForExitAsync(ScenarioTimeout);
        var line = node.Stdout.LastOrDefault(l => l.StartsWith('{'));
        line.Should().NotBeNull($"the scenario prints its result (exit {exit}):\n{node.Output}");
        return JsonNode.Parse(line!)!;
    }
}
