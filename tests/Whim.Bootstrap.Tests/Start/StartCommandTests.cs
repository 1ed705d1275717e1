using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FluentAssertions;
using Whim.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Whim.Bootstrap.Tests.Start;

// Shares a collection with `up`: both start every service, and in parallel they starve each other on a small machine.
[Collection(ProcessTests.Name)]
public sealed class StartCommandTests(ITestOutputHelper log)
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Start_bootstraps_a_task_from_a_bare_repository_and_a_restart_is_safe_and_runs_init_once()
    {
        using var task = new TaskFixture();
        var spec = task.WriteSpec(task.DefaultSpec());

        for (var run = 1; run <= 2; run++)
        {
            await using var start = RunningProcess.Start(task.Start(spec, "--services", "none"));
            await start.WaitForLineAsync(l => l.Contains("everything is running", StringComparison.Ordinal), $"run {run} to finish its steps", s_startTimeout);
            log.WriteLine(start.Output);
            foreach (var step in new[] { "git-credentials", "checkout", "configuration", "init-script", "shell-environment" })
            {
                start.Stdout.Should().Contain(l => l.Contains("✓ " + step, StringComparison.Ordinal) && l.Contains(" ms", StringComparison.Ordinal), $"step {step} is printed with its duration");
            }

            start.Stdout.Should().Contain(l => l.Contains("layer 'workspace_user', field 'mcpServers.broken.command'", StringComparison.Ordinal));
            start.Signal(15);
            (await start.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0, start.Output);
            if (run == 1)
            {
                start.Stdout.Should().Contain(l => l.Contains("init | init ran in " + task.App, StringComparison.Ordinal), "init output is streamed");
            }
            else
            {
                start.Stdout.Should().Contain(l => l.Contains("already ran", StringComparison.Ordinal));
                start.Stdout.Should().Contain(l => l.Contains("whim-abc-12 kept", StringComparison.Ordinal));
            }
        }

        TaskFixture.Run(task.App, "git", "rev-parse", "--abbrev-ref", "HEAD").Trim().Should().Be("whim-abc-12");
        TaskFixture.Run(task.App, "git", "log", "--format=%s", "-1").Trim().Should().Be("first");
        File.ReadAllLines(Path.Join(task.Root, "init-count")).Should().Equal(["ran"], "init.sh runs once even though bootstrap ran twice");

        var instructions = File.ReadAllText(Path.Join(task.App, "CLAUDE.md"));
        instructions.IndexOf("Workspace rules", StringComparison.Ordinal).Should().BeLessThan(instructions.IndexOf("User rules", StringComparison.Ordinal));
        instructions.IndexOf("User rules", StringComparison.Ordinal).Should().BeLessThan(instructions.IndexOf("Task-specific rules", StringComparison.Ordinal));
        TaskFixture.Run(task.App, "git", "status", "--porcelain").Should().BeEmpty("the injected CLAUDE.md is excluded from git status");
        File.Exists(Path.Join(task.Home, ".claude", "skills", "greet", "SKILL.md")).Should().BeTrue();
        using (var mcp = JsonDocument.Parse(File.ReadAllText(Path.Join(task.Home, ".mcp.json"))))
        {
            mcp.RootElement.GetProperty("mcpServers").EnumerateObject().Select(p => p.Name).Should().Equal("whim", "docs");
        }

        var shell = new Dictionary<string, string> { ["HOME"] = task.Home };
        TaskFixture.Run(task.Root, shell, "bash", "-lc", "echo \"$FOO|$QUOTED\"").Trim().Should().Be("from-user|it's $HOME", "a new login shell sees the merged env vars");
        TaskFixture.Run(task.Root, shell, "bash", "-ic", "type whimtest >/dev/null && echo \"$FOO\"").Trim().Should().EndWith("from-user", "an interactive shell gets the bashrc layer");
        File.ReadAllText(Path.Join(task.Home, ".bashrc")).Split("# >>> whim managed block >>>").Should().HaveCount(2, "the bashrc block is written once");

        // Credentials: the helper answers with the token, which is nowhere in the repository's config.
        var tokenFile = Path.Join(task.Root, "whim", "secrets", "git-token");
        File.GetUnixFileMode(tokenFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.ReadAllText(Path.Join(task.App, ".git", "config")).Should().NotContain("ghs_secret_token_123").And.Contain("git-credential");
        var fill = Process.Start(new ProcessStartInfo("git", ["credential", "fill"]) { WorkingDirectory = task.App, RedirectStandardInput = true, RedirectStandardOutput = true })!;
        await fill.StandardInput.WriteAsync("protocol=https\nhost=github.com\n\n");
        fill.StandardInput.Close();
        var answer = await fill.StandardOutput.ReadToEndAsync();
        await fill.WaitForExitAsync();
        answer.Should().Contain("password=ghs_secret_token_123").And.Contain("username=x-access-token");

        using var status = JsonDocument.Parse(File.ReadAllText(task.StatusFile));
        status.RootElement.GetProperty("phase").GetString().Should().Be("stopped");
        status.RootElement.GetProperty("configErrors")[0].GetString().Should().Contain("mcpServers.broken.command");
    }

    [Fact]
    public async Task Each_killed_aot_service_answers_readyz_again_within_a_second_and_the_crash_is_counted()
    {
        var bin = await AotBinaries.PublishAsync();
        using var task = new TaskFixture();
        var spec = task.WriteSpec(task.DefaultSpec());
        var offset = PortOffset.Next();
        await using var start = RunningProcess.Start(task.Start(spec, "--bin-dir", bin, "--port-offset", offset.ToString(CultureInfo.InvariantCulture)));
        await start.WaitForLineAsync(l => l.Contains("everything is running", StringComparison.Ordinal), "all services to be ready", s_startTimeout);
        // Launched in the platform's order (process ids rise in it), ready in whatever order they finish starting.
        string[] platformOrder = ["backup-agent", "local-proxy", "port-monitor", "generation-proxy"];
        start.Stdout.Where(l => l.Contains("ready in", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')[1])
            .Should().BeEquivalentTo(platformOrder);
        platformOrder.Select(name => Service(task, name).GetProperty("pid").GetInt32()).Should().BeInAscendingOrder();

        using var http = new HttpClient { Timeout = TimeSpan.FromMilliseconds(500) };
        foreach (var (name, port) in new[] { ("backup-agent", 8081), ("local-proxy", 8080), ("port-monitor", 8082), ("generation-proxy", 3001) })
        {
            var victim = Service(task, name);
            victim.GetProperty("state").GetString().Should().Be("ready");
            var pid = victim.GetProperty("pid").GetInt32();
            File.ReadAllText($"/proc/{pid}/cmdline").Should().StartWith(bin, $"{name} runs its AOT binary");

            var clock = Stopwatch.StartNew();
            Process.GetProcessById(pid).Kill();
            await Eventually.UntilAsync(
                async () =>
                {
                    var now = Service(task, name);
                    if (!now.TryGetProperty("pid", out var p) || p.ValueKind != JsonValueKind.Number || p.GetInt32() == pid)
                    {
                        return false;
                    }

                    using var response = await http.GetAsync($"http://127.0.0.1:{port + offset}/readyz");
                    return response.IsSuccessStatusCode;
                },
                $"{name} to answer /readyz again",
                TimeSpan.FromSeconds(30));
            var readyMs = clock.ElapsedMilliseconds;
            var budgetMs = ReadyBudgetMs();
            log.WriteLine($"{name}: killed, new process ready on /readyz after {readyMs} ms (budget {budgetMs} ms)");
            readyMs.Should().BeLessThanOrEqualTo(budgetMs, $"{name} is back and ready within 1 s of the kill (scaled only on an overloaded machine)");
            await Eventually.UntilAsync(() => Service(task, name).GetProperty("crashes").GetInt32() == 1, $"{name}'s crash to be counted");
            Service(task, name).GetProperty("lastExitCode").GetInt32().Should().NotBe(0);
        }

        start.Stdout.Should().Contain(l => l.Contains("exited with", StringComparison.Ordinal) && l.Contains("restarting in 100 ms", StringComparison.Ordinal));
        start.Signal(15);
        (await start.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().Be(0, start.Output);
        start.Stdout.Where(l => l.Contains("stopped", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')[1])
            .Should().Equal("generation-proxy", "port-monitor", "local-proxy", "backup-agent");
    }

    [Fact]
    public async Task A_spec_missing_required_fields_exits_with_bad_configuration_naming_them()
    {
        using var task = new TaskFixture();
        var json = task.DefaultSpec();
        json.Remove("repoUrl");
        json["provider"] = "gemini";
        await using var start = RunningProcess.Start(task.Start(task.WriteSpec(json)));
        (await start.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().Be(ExitCodes.BadConfiguration);
        start.Output.Should().Contain("repoUrl: required").And.Contain("provider: must be 'claude' or 'codex'");
    }

    // 1 s, the goal. On a machine whose run queue is longer than its cores (several test suites and AOT builds at once
    // on a shared two-core box) every process start is that much slower, so the budget grows with the 1-minute load.
    private static long ReadyBudgetMs()
    {
        var load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        return (long)(1000 * Math.Max(1, load / Environment.ProcessorCount));
    }

    private static JsonElement Service(TaskFixture task, string name)
    {
        using var status = JsonDocument.Parse(File.ReadAllText(task.StatusFile));
        return status.RootElement.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).Clone();
    }
}
