using System.Net;
using System.Text.Json;
using FluentAssertions;
using Whim.BackupAgent.Tests.Functional;
using Whim.GenerationProxy;
using Whim.Testing;
using Whim.Testing.Providers;
using Xunit;
using Xunit.Abstractions;

namespace Whim.BackupAgent.Tests.EndToEnd;

/// <summary>
/// The real Claude Code CLI (installed by <c>scripts/deps/genproxy.sh</c>) through the generation proxy to the
/// provider stand-in, its session backed up by the agent to the real control API, restored into a new home and
/// resumed there by the real CLI.
/// </summary>
public sealed class ClaudeCodeBackupTests(ITestOutputHelper output)
{
    private const string FirstPrompt = "Remember the word pelican";
    private const string SecondPrompt = "next";

    [Fact]
    public async Task Claude_Code_session_is_backed_up_byte_identical_and_resumes_from_a_restored_home()
    {
        await using var harness = await AgentHarness.CreateAsync();
        await using var standIn = await ProviderStandIn.StartAsync();
        standIn.Behaviour.RecordBodies = true;
        await using var proxy = await StartedApp.StartAsync(GenerationProxyApp.Build(
            ["--urls", "http://127.0.0.1:0", .. GenerationProxySettings.Arguments(Path.Join(harness.Root.Path, "genproxy"), standIn.BaseUrl)]));
        // Both turns run in the same folder, as in a container (/app): Claude Code files a session under its folder.
        var project = Path.GetDirectoryName(harness.Root.File("app/.keep"))!;
        await using var agent = await harness.StartAgentAsync();

        var sessionId = await RunClaudeAsync(harness.Home, project, proxy.BaseAddress, "-p", FirstPrompt, "--output-format", "json");
        var session = Directory.GetFiles(Path.Join(harness.Home, ".claude", "projects"), sessionId + ".jsonl", SearchOption.AllDirectories).Single();
        var stream = "claude/" + Path.GetRelativePath(Path.Join(harness.Home, ".claude"), session).Replace('\\', '/');
        using (var backup = await agent.Client.PostAsync("backup?timeout=60", null))
        {
            backup.StatusCode.Should().Be(HttpStatusCode.OK, await backup.Content.ReadAsStringAsync());
        }

        var original = await File.ReadAllBytesAsync(session);
        (await harness.Backend.BytesAsync(harness.Task.Id, stream)).Should().Equal(original, "the control API holds the session byte for byte");

        // A new container for the same task: an empty home, restored from the control API.
        var resumedRoot = Path.GetDirectoryName(harness.Root.File("resumed/.keep"))!;
        var resumedHome = Path.Join(resumedRoot, "home", "node");
        await using var resumedAgent = await harness.StartAgentAsync(resumedRoot);
        using (var restore = await resumedAgent.Client.PostAsync($"restore?fromTask={harness.Task.Id}", null))
        {
            restore.StatusCode.Should().Be(HttpStatusCode.OK, await restore.Content.ReadAsStringAsync());
        }

        var restored = Path.Join(resumedHome, Path.GetRelativePath(harness.Home, session));
        (await File.ReadAllBytesAsync(restored)).Should().Equal(original);

        var before = standIn.Requests.Count;
        (await RunClaudeAsync(resumedHome, project, proxy.BaseAddress, "--resume", sessionId, "-p", SecondPrompt, "--output-format", "json"))
            .Should().Be(sessionId, "the resumed turn continues the restored session");
        var resumedTurn = standIn.Requests.Skip(before).Where(r => r.Path == "/v1/messages" && r.Body.Contains(SecondPrompt, StringComparison.Ordinal)).ToList();
        resumedTurn.Should().NotBeEmpty("the resumed turn reached the provider");
        resumedTurn.Should().Contain(
            r => r.Body.Contains(FirstPrompt, StringComparison.Ordinal) && r.Body.Contains(standIn.Behaviour.Text.Split(' ')[0], StringComparison.Ordinal),
            "the provider is sent the first turn's messages: Claude Code accepted the restored history");

        // The resumed agent backs up what the second turn appended, on top of the restored stream.
        (await resumedAgent.Client.PostAsync("backup?timeout=60", null)).EnsureSuccessStatusCode();
        var grown = await File.ReadAllBytesAsync(restored);
        grown.Length.Should().BeGreaterThan(original.Length);
        (await harness.Backend.BytesAsync(harness.Task.Id, stream)).Should().Equal(grown);
    }

    /// <summary>Runs one Claude Code turn with <c>HOME</c> = <paramref name="home"/> and returns the session id it reports.</summary>
    private async Task<string> RunClaudeAsync(string home, string project, Uri proxy, params string[] args)
    {
        await using var claude = RunningProcess.Start(AgentClis.ClaudeCode(home, proxy, args) with { WorkingDirectory = project });
        var code = await claude.WaitForExitAsync(TimeSpan.FromMinutes(2));
        output.WriteLine(claude.Output);
        code.Should().Be(0, claude.Output);
        var result = claude.Stdout.Last(l => l.TrimStart().StartsWith('{'));
        using var json = JsonDocument.Parse(result);
        return json.RootElement.GetProperty("session_id").GetString()!;
    }
}
