using System.Text;
using FluentAssertions;
using Whim.Testing;
using Whim.Testing.Providers;
using Xunit;
using Xunit.Abstractions;

namespace Whim.GenerationProxy.Tests.EndToEnd;

/// <summary>
/// The real agent CLIs, unmodified, pointed at the proxy, which forwards to the stand-in. Installed by
/// <c>scripts/deps/genproxy.sh</c> into <c>tools/node</c>.
/// </summary>
public sealed class AgentCliTests(ITestOutputHelper output)
{
    private static async Task<List<string>> PollStatesWhileAsync(ProxyHarness h, Func<Task> action)
    {
        var seen = new List<string>();
        var broken = 0;
        using var stop = new CancellationTokenSource();
        // A dedicated thread, not the thread pool: while the suite starts many hosts at once the pool can be starved for
        // long enough that a pooled poller never gets to read.
        var poller = Task.Factory.StartNew(
            () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        var text = File.ReadAllText(h.StateFile);
                        var state = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("state").GetString()!;
                        lock (seen)
                        {
                            if (seen.Count == 0 || seen[^1] != state)
                            {
                                seen.Add(state);
                            }
                        }
                    }
                    catch (System.Text.Json.JsonException)
                    {
                        Interlocked.Increment(ref broken);
                    }
                    catch (IOException)
                    {
                    }

                    stop.Token.WaitHandle.WaitOne(5);
                }
            },
            TaskCreationOptions.LongRunning);
        await Eventually.UntilAsync(() => { lock (seen) { return seen.Count > 0; } }, "the first state read");
        await action();
        await Eventually.UntilAsync(() => { lock (seen) { return seen[^1] == "idle" && seen.Count >= 3; } }, "idle after the turn");
        await stop.CancelAsync();
        await poller;
        broken.Should().Be(0, "the state file is replaced atomically");
        return seen;
    }

    [Fact]
    public async Task Claude_Code_completes_a_turn_through_the_proxy()
    {
        await using var h = await ProxyHarness.StartAsync();
        using var home = new TempRoot("whim-claude-home-");
        RunningProcess? process = null;
        var states = await PollStatesWhileAsync(h, async () =>
        {
            process = RunningProcess.Start(AgentClis.ClaudeCode(home.Path, h.Proxy.BaseAddress, "-p", "Say hello", "--output-format", "json"));
            var code = await process.WaitForExitAsync(TimeSpan.FromMinutes(2));
            output.WriteLine(process.Output);
            code.Should().Be(0, process.Output);
        });
        await using var _ = process;
        await AssertTurnAsync(h, process!, states, "/v1/messages", "x-api-key", ProxyHarness.AnthropicKey, "msg_standin_");
    }

    [Fact]
    public async Task Codex_completes_a_turn_through_the_proxy()
    {
        var codex = AgentClis.Tool("codex");
        await using var h = await ProxyHarness.StartAsync();
        using var home = new TempRoot("whim-codex-home-");
        var codexHome = Path.Join(home.Path, ".codex");
        Directory.CreateDirectory(codexHome);
        await File.WriteAllTextAsync(Path.Join(codexHome, "config.toml"), $"""
            model = "gpt-5"
            model_provider = "whim"

            [model_providers.whim]
            name = "whim"
            base_url = "{h.Proxy.BaseAddress.ToString().TrimEnd('/')}/v1"
            env_key = "WHIM_PLACEHOLDER_KEY"
            wire_api = "responses"
            request_max_retries = 0
            stream_max_retries = 0
            """, Encoding.UTF8);
        RunningProcess? process = null;
        var states = await PollStatesWhileAsync(h, async () =>
        {
            var spec = new ProcessSpec(codex, ["exec", "--skip-git-repo-check", "--sandbox", "read-only", "Say hello"])
            {
                WorkingDirectory = home.Path,
                Environment = new Dictionary<string, string?>
                {
                    ["HOME"] = home.Path,
                    ["CODEX_HOME"] = codexHome,
                    ["WHIM_PLACEHOLDER_KEY"] = ProxyHarness.Placeholder,
                    ["OPENAI_API_KEY"] = null,
                    ["RUST_LOG"] = "warn",
                },
                RedirectInput = true,
            };
            process = RunningProcess.Start(spec);
            process.StandardInput.Close();
            var code = await process.WaitForExitAsync(TimeSpan.FromMinutes(2));
            output.WriteLine(process.Output);
            code.Should().Be(0, process.Output);
        });
        await using var _ = process;
        await AssertTurnAsync(h, process!, states, "/v1/responses", "authorization", "Bearer " + ProxyHarness.OpenAIKey, "resp_standin");
    }

    private async Task AssertTurnAsync(ProxyHarness h, RunningProcess process, List<string> states, string path, string keyHeader, string keyValue, string idPrefix)
    {
        foreach (var r in h.StandIn.Requests)
        {
            output.WriteLine($"{r.Method} {r.Path} stream={r.Stream} model={r.Model}");
        }

        process.Output.Should().Contain("Hello from the stand-in");
        var generations = h.StandIn.Requests.Where(r => r.Path == path).ToList();
        generations.Should().NotBeEmpty();
        generations.Should().OnlyContain(r => r.Headers[keyHeader] == keyValue, "the stand-in receives the real key");
        h.StandIn.Requests.SelectMany(r => r.Headers.Values).Should().NotContain(v => v.Contains(ProxyHarness.Placeholder));
        states.Should().StartWith(["idle", "working"]).And.EndWith("idle");
        var lines = await h.LogLinesAsync(generations.Count);
        lines.Should().Contain(l => l.GetProperty("generationId").GetString()!.StartsWith(idPrefix)
            && l.GetProperty("usage").GetProperty("output").GetInt64() > 0 && l.GetProperty("streamed").GetBoolean());
    }
}
