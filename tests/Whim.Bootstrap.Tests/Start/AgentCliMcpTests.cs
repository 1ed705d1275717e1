using System.Diagnostics;
using FluentAssertions;
using Whim.Bootstrap.Configuration;
using Whim.Bootstrap.Injection;
using Whim.Testing;
using Whim.Testing.Providers;
using Xunit;
using Xunit.Abstractions;

namespace Whim.Bootstrap.Tests.Start;

/// <summary>
/// The real agent CLIs read what bootstrap wrote. They are installed by <c>scripts/deps/genproxy.sh</c> into
/// <c>tools/node</c>; when missing these tests fail and say so.
/// </summary>
public sealed class AgentCliMcpTests(ITestOutputHelper log)
{
    private static readonly EffectiveConfig s_config = new()
    {
        McpServers = [new("userdocs", new McpServerSpec { Type = "http", Url = "https://docs.example/mcp" })],
    };

    [Fact]
    public async Task Claude_mcp_list_shows_the_whim_server_and_the_users_servers()
    {
        var claude = AgentClis.Tool("claude");
        using var root = new TempRoot();
        var locations = new AgentLocations(Path.Join(root.Path, "app"), Path.Join(root.Path, "home"));
        new ProviderConfigWriter(locations).Write("claude", s_config, WhimServer());

        var output = await RunAsync(claude, ["mcp", "list"], locations.HomeDirectory, new() { ["HOME"] = locations.HomeDirectory });
        output.Should().Contain("whim").And.Contain("userdocs");
        output.Split('\n').Single(l => l.StartsWith("whim", StringComparison.Ordinal)).Should().Contain("Connected", "the built-in server starts and answers");
    }

    [Fact]
    public async Task Codex_mcp_list_shows_the_whim_server_and_the_users_servers()
    {
        var codex = AgentClis.Tool("codex");
        using var root = new TempRoot();
        var locations = new AgentLocations(Path.Join(root.Path, "app"), Path.Join(root.Path, "home"));
        new ProviderConfigWriter(locations).Write("codex", s_config, WhimServer());

        var output = await RunAsync(codex, ["mcp", "list"], locations.HomeDirectory, new() { ["HOME"] = locations.HomeDirectory, ["CODEX_HOME"] = locations.CodexDirectory });
        output.Should().Contain("whim").And.Contain("userdocs").And.Contain(RepoLayout.ProjectDll("runtime/WhimMcp", "Whim.WhimMcp"));
    }

    private static BuiltInServer WhimServer() => new(
        "dotnet",
        [RepoLayout.ProjectDll("runtime/WhimMcp", "Whim.WhimMcp")],
        new Dictionary<string, string> { ["WHIM_API_URL"] = "http://127.0.0.1:9", ["WHIM_INTERNAL_API_TOKEN_FILE"] = "/whim/secrets/internal-api-token", ["WHIM_TASK_ID"] = "task-1" });

    private async Task<string> RunAsync(string file, string[] args, string workingDirectory, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(file, args) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + "\n" + await stderr;
        log.WriteLine(output);
        return output;
    }
}
