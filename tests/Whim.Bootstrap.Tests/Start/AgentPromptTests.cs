using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Whim.Testing;
using Whim.Testing.Providers;
using Xunit;
using Xunit.Abstractions;

namespace Whim.Bootstrap.Tests.Start;

/// <summary>
/// The real Claude Code CLI started by bootstrap with the task prompt, then fed prompts queued through the control API:
/// the agent talks to the generation proxy (placeholder key), which forwards to the provider stand-in (real key).
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class AgentPromptTests(ITestOutputHelper log)
{
    private const string AdminToken = "bootstrap-test-admin-token-0123456789";
    private const string RealKey = "sk-ant-real-key-for-the-proxy-only-0001";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Queued_prompts_reach_claude_code_exactly_once_in_order_and_a_restarted_bootstrap_does_not_deliver_them_again()
    {
        var claude = AgentClis.Tool("claude");
        using var task = new TaskFixture();
        await using var standIn = await ProviderStandIn.StartAsync();
        standIn.Behaviour.RecordBodies = true;
        await using var control = await ServiceProcess.StartAsync("control", "Whim.Control", Path.Join(task.Root, "control"), null, "--ADMIN_TOKEN", AdminToken, "--PREVIEW:DOMAIN", "preview.test");
        var (taskId, internalToken) = await CreateTaskAsync(control);
        using var runtime = Client(control, internalToken);

        var json = task.DefaultSpec();
        json["taskId"] = taskId;
        json["apiUrl"] = control.BaseAddress.ToString().TrimEnd('/');
        json["internalApiToken"] = internalToken;
        json["prompt"] = "PROMPT-ZERO the task prompt";
        json["workspace_user"] = null;
        var spec = task.WriteSpec(json);
        var offset = PortOffset.Next();
        var start = task.StartWithAgent(spec, Path.GetDirectoryName(claude)!, standIn.BaseUrl, RealKey, offset);

        await using (var first = RunningProcess.Start(start))
        {
            await WithDiagnosticsAsync(task, standIn, first, () => first.WaitForLineAsync(l => l.Contains("everything is running", StringComparison.Ordinal), "bootstrap to start the agent", s_timeout));
            await QueueAsync(runtime, taskId, "PROMPT-ONE first queued prompt");
            await QueueAsync(runtime, taskId, "PROMPT-TWO second queued prompt");
            await WithDiagnosticsAsync(task, standIn, first, () => Eventually.UntilAsync(() => Turns(standIn).Contains("PROMPT-TWO"), "the queued prompts at the stand-in", s_timeout));
            await Eventually.UntilAsync(async () => (await PendingAsync(runtime, taskId)) == 0, "both prompts acknowledged", s_timeout);
            log.WriteLine(first.Output);
            AssertAgentHoldsOnlyThePlaceholder(task, offset);
            first.Signal(15);
            (await first.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().Be(0, first.Output);
        }

        Turns(standIn).Should().Equal(["PROMPT-ZERO", "PROMPT-ONE", "PROMPT-TWO"], "each prompt reaches the provider once, in order");

        // A restarted bootstrap resumes the session; it delivers neither the task prompt nor the acknowledged ones again.
        await using (var second = RunningProcess.Start(start))
        {
            await WithDiagnosticsAsync(task, standIn, second, () => second.WaitForLineAsync(l => l.Contains("everything is running", StringComparison.Ordinal), "the restarted bootstrap", s_timeout));
            second.Stdout.Should().Contain(l => l.Contains("task prompt already delivered", StringComparison.Ordinal));
            await QueueAsync(runtime, taskId, "PROMPT-THREE after the restart");
            await WithDiagnosticsAsync(task, standIn, second, () => Eventually.UntilAsync(() => Turns(standIn).Contains("PROMPT-THREE"), "the prompt queued after the restart", s_timeout));
            log.WriteLine(second.Output);
            second.Signal(15);
            (await second.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().Be(0, second.Output);
        }

        Turns(standIn).Should().Equal(["PROMPT-ZERO", "PROMPT-ONE", "PROMPT-TWO", "PROMPT-THREE"]);
        var generations = standIn.Requests.Where(r => r.Path == "/v1/messages").ToList();
        generations.Should().OnlyContain(r => r.Headers["x-api-key"] == RealKey, "the proxy swaps the agent's placeholder for the real key");
        var agentOut = await File.ReadAllTextAsync(Path.Join(task.Root, "whim", "logs", "agent.out"));
        agentOut.Should().Contain("Hello from the stand-in");
        var mcp = await File.ReadAllTextAsync(Path.Join(task.Home, ".mcp.json"));
        mcp.Should().NotContain(internalToken).And.Contain("WHIM_INTERNAL_API_TOKEN_FILE");
        using var prompts = JsonDocument.Parse(await runtime.GetStringAsync($"api/v1/tasks/{taskId}/prompts"));
        prompts.RootElement.EnumerateArray().Should().HaveCount(3).And.OnlyContain(p => p.GetProperty("deliveredAt").ValueKind == JsonValueKind.String);
    }

    // The agent's real environment (/proc/<pid>/environ): the proxy as its base URL, a placeholder as its key, no real key, no token.
    private static void AssertAgentHoldsOnlyThePlaceholder(TaskFixture task, int offset)
    {
        using var status = JsonDocument.Parse(File.ReadAllText(task.StatusFile));
        var pid = status.RootElement.GetProperty("agentPid").GetInt32();
        var environment = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        environment["ANTHROPIC_BASE_URL"].Should().Be($"http://127.0.0.1:{(3001 + offset).ToString(CultureInfo.InvariantCulture)}");
        environment["ANTHROPIC_API_KEY"].Should().StartWith("whim-agent-", "bootstrap generated the placeholder");
        environment.Values.Should().NotContain(RealKey);
        environment.Keys.Should().NotContain(k => k.StartsWith("WHIM_PROVIDERS__", StringComparison.Ordinal)).And.NotContain("WHIM_INTERNAL_API_TOKEN");
        File.GetUnixFileMode(environment["WHIM_INTERNAL_API_TOKEN_FILE"]).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    // On a timeout, or when bootstrap exits early (a service not ready), what bootstrap, the services, the agent and the
    // stand-in saw.
    private async Task WithDiagnosticsAsync(TaskFixture task, ProviderStandIn standIn, RunningProcess bootstrap, Func<Task> wait)
    {
        try
        {
            await wait();
        }
        catch (Exception e) when (e is TimeoutException || (e is InvalidOperationException && bootstrap.HasExited))
        {
            log.WriteLine(bootstrap.Output);
            var agentOut = Path.Join(task.Root, "whim", "logs", "agent.out");
            log.WriteLine("--- agent.out ---\n" + (File.Exists(agentOut) ? await File.ReadAllTextAsync(agentOut) : "(none)"));
            // The services' own logs (*.log) and what they printed (*.out: an unhandled exception lands there).
            var logs = Path.Join(task.Root, "whim", "logs");
            log.WriteLine($"--- {logs} (kept after the test with {TempRoot.KeepVariable}=1) ---");
            foreach (var service in Directory.Exists(logs) ? Directory.EnumerateFiles(logs).Where(f => f != agentOut) : [])
            {
                var text = await File.ReadAllTextAsync(service);
                log.WriteLine($"--- {Path.GetFileName(service)} (last 4,000 characters) ---\n" + (text.Length > 4000 ? text[^4000..] : text));
            }

            foreach (var r in standIn.Requests)
            {
                log.WriteLine($"{r.Method} {r.Path} {(r.Body is { Length: > 600 } b ? b[^600..] : r.Body)}");
            }

            throw;
        }
    }

    /// <summary>
    /// The markers (PROMPT-…) of the new user input in each generation request (the user messages after the last
    /// assistant message; Claude Code also puts system messages there), concatenated over the requests: each prompt
    /// appears once per delivery. Claude Code may fold prompts that arrive during a turn into one request; they still
    /// appear once each, in order.
    /// </summary>
    private static List<string> Turns(ProviderStandIn standIn) =>
        [.. standIn.Requests
            .Where(r => r.Path == "/v1/messages" && r.Body.Length > 0)
            .SelectMany(r => NewUserText(JsonNode.Parse(r.Body)!).Split([' ', '\n', '"'], StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.StartsWith("PROMPT-", StringComparison.Ordinal))];

    private static string NewUserText(JsonNode body)
    {
        var messages = body["messages"]?.AsArray() ?? [];
        var fresh = messages.Reverse().TakeWhile(m => m?["role"]?.GetValue<string>() != "assistant").Reverse().Where(m => m?["role"]?.GetValue<string>() == "user");
        return string.Join('\n', fresh.Select(m => m?["content"] switch
        {
            JsonValue value => value.GetValue<string>(),
            JsonArray blocks => string.Join('\n', blocks.Select(b => b?["text"]?.GetValue<string>()).OfType<string>()),
            _ => "",
        }));
    }

    private static async Task<(string TaskId, string InternalToken)> CreateTaskAsync(ServiceProcess control)
    {
        using var admin = Client(control, AdminToken);
        var slug = "b" + Guid.NewGuid().ToString("N")[..10];
        var team = await PostAsync(admin, "api/v1/teams", new JsonObject { ["slug"] = slug, ["name"] = "Team " + slug });
        var workspace = await PostAsync(admin, "api/v1/workspaces", new JsonObject { ["teamId"] = team["id"]!.GetValue<string>(), ["slug"] = slug, ["name"] = "Boot", ["prefix"] = "BT" });
        var user = await PostAsync(admin, "api/v1/users", new JsonObject { ["email"] = slug + "@example.com", ["name"] = "User " + slug });
        (await admin.PutAsJsonAsync($"api/v1/workspaces/{workspace["id"]!.GetValue<string>()}/members/{user["id"]!.GetValue<string>()}", new JsonObject { ["role"] = "admin" })).EnsureSuccessStatusCode();
        var created = await PostAsync(admin, $"api/v1/workspaces/{workspace["id"]!.GetValue<string>()}/tasks", new JsonObject
        {
            ["title"] = "Answer prompts", ["body"] = "PROMPT-ZERO", ["createdBy"] = user["id"]!.GetValue<string>(), ["launch"] = true,
        });
        return (created["task"]!["id"]!.GetValue<string>(), created["internalToken"]!.GetValue<string>());
    }

    private static Task QueueAsync(HttpClient runtime, string taskId, string prompt) =>
        PostAsync(runtime, $"api/v1/tasks/{taskId}/prompts", new JsonObject { ["body"] = prompt });

    private static async Task<int> PendingAsync(HttpClient runtime, string taskId)
    {
        using var pending = JsonDocument.Parse(await runtime.GetStringAsync($"api/v1/tasks/{taskId}/prompts?pending=true"));
        return pending.RootElement.GetArrayLength();
    }

    private static HttpClient Client(ServiceProcess control, string token)
    {
        var client = new HttpClient { BaseAddress = control.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<JsonNode> PostAsync(HttpClient client, string path, JsonObject body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"POST {path} answered {((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)}: {text}");
        return JsonNode.Parse(text)!;
    }
}
