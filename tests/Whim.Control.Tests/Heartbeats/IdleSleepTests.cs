using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whim.Control.Heartbeats;
using Whim.Control.Machines;
using Whim.Control.Tests.Fixtures;
using Whim.Testing;
using Xunit;

namespace Whim.Control.Tests.Heartbeats;

/// <summary>The idle poller on a <see cref="FakeTimeProvider"/>: idle past the workspace timeout → slept once; a prompt wakes it and is delivered once.</summary>
public sealed class IdleSleepTests : IAsyncLifetime
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RecordingMachineProvider _machines = new();
    private volatile string _agentState = "working";
    private ControlHost _host = null!;
    private StubServer _runtime = null!;

    public async Task InitializeAsync()
    {
        _runtime = await StubServer.StartAsync(app =>
        {
            app.MapGet("/whim/state", () => Results.Json(new JsonObject { ["state"] = _agentState, ["activeRequests"] = 0 }));
            app.MapGet("/status", () => Results.Ok());
        });
        _host = await ControlHost.StartAsync(
            new SqliteBackend(),
            services =>
            {
                services.AddSingleton<TimeProvider>(_time);
                services.AddSingleton<IMachineProvider>(_machines);
            },
            "--HEARTBEATS:POLLINTERVAL", "00:00:05");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _runtime.DisposeAsync();
    }

    [Fact]
    public async Task An_idle_task_sleeps_once_after_the_idle_period_and_a_prompt_wakes_it_and_is_delivered_once()
    {
        var ws = await _host.SeedWorkspaceAsync(idleTimeoutSeconds: 60);
        using var mcp = _host.ClientWith(ws.McpToken);
        var (task, token) = await _host.CreateTaskAsync(mcp, ws.WorkspaceId);
        var id = task["id"]!.GetValue<string>();
        (await _host.Admin.PutAsJsonAsync($"api/v1/tasks/{id}/machine", new JsonObject
        {
            ["generationProxyUrl"] = _runtime.BaseAddress.ToString(), ["backupAgentUrl"] = _runtime.BaseAddress.ToString(), ["localProxyUrl"] = _runtime.BaseAddress.ToString(),
        })).EnsureSuccessStatusCode();

        await TickAsync(3);
        (await StatusAsync(mcp, id)).Should().Be(("active", "working"));

        _agentState = "idle";
        await TickAsync(12); // first idle poll starts the clock; 11 more polls = 55 s idle, below the 60 s timeout
        (await StatusAsync(mcp, id)).Should().Be(("active", "idle"));
        _machines.Count("sleep", id).Should().Be(0);

        await TickAsync(1);
        (await StatusAsync(mcp, id)).Item1.Should().Be("sleeping");
        await TickAsync(5);
        _machines.Count("sleep", id).Should().Be(1, "a task is put to sleep exactly once");
        (await ControlHost.GetJsonAsync(mcp, $"api/v1/tasks/{id}/heartbeats")).AsArray().Should().HaveCount(16, "sleeping tasks are not polled");

        _agentState = "working";
        await ControlHost.PostAsync(mcp, $"api/v1/tasks/{id}/prompts", new JsonObject { ["body"] = "wake up and continue" });
        _machines.Count("wake", id).Should().Be(1);
        (await StatusAsync(mcp, id)).Item1.Should().Be("active");

        using var runtime = _host.ClientWith(token);
        var first = await ControlHost.PostAsync(runtime, $"api/v1/tasks/{id}/prompts/claim", new JsonObject());
        var second = await ControlHost.PostAsync(runtime, $"api/v1/tasks/{id}/prompts/claim", new JsonObject());
        first.AsArray().Select(p => p!["body"]!.GetValue<string>()).Should().Equal("wake up and continue");
        second.AsArray().Should().BeEmpty("a prompt is delivered once");

        await TickAsync(2);
        (await StatusAsync(mcp, id)).Should().Be(("active", "working"));
        _machines.Count("sleep", id).Should().Be(1);
    }

    [Fact]
    public async Task An_unreachable_runtime_is_recorded_and_never_counts_as_idle()
    {
        var ws = await _host.SeedWorkspaceAsync(idleTimeoutSeconds: 10);
        using var mcp = _host.ClientWith(ws.McpToken);
        var (task, _) = await _host.CreateTaskAsync(mcp, ws.WorkspaceId);
        var id = task["id"]!.GetValue<string>();
        (await _host.Admin.PutAsJsonAsync($"api/v1/tasks/{id}/machine", new JsonObject { ["generationProxyUrl"] = $"http://127.0.0.1:{LoopbackPort.Reserve()}/" })).EnsureSuccessStatusCode();

        await TickAsync(4);
        (await StatusAsync(mcp, id)).Should().Be(("active", "unreachable"));
        _machines.Count("sleep", id).Should().Be(0);
    }

    private async Task TickAsync(int times)
    {
        var poller = _host.Services.GetRequiredService<HeartbeatPoller>();
        for (var i = 0; i < times; i++)
        {
            var before = poller.Rounds;
            _time.Advance(s_interval);
            await Eventually.UntilAsync(() => poller.Rounds > before, "a heartbeat round");
        }
    }

    private static async Task<(string, string?)> StatusAsync(HttpClient client, string id)
    {
        var task = await ControlHost.GetJsonAsync(client, $"api/v1/tasks/{id}");
        return (task["status"]!.GetValue<string>(), task["agentState"]?.GetValue<string>());
    }

    private sealed class RecordingMachineProvider : IMachineProvider
    {
        private readonly ConcurrentQueue<(string Action, string TaskId)> _events = new();

        public int Count(string action, string taskId) => _events.Count(e => e.Action == action && e.TaskId == taskId);

        public Task<MachineLaunched> LaunchAsync(MachineLaunch launch, CancellationToken cancellationToken)
        {
            _events.Enqueue(("launch", launch.TaskId));
            return Task.FromResult(new MachineLaunched(new MachineEndpoints(null, null, null), null));
        }

        public Task SleepAsync(string taskId, CancellationToken cancellationToken) => Record("sleep", taskId);

        public Task WakeAsync(string taskId, CancellationToken cancellationToken) => Record("wake", taskId);

        public Task StopAsync(string taskId, CancellationToken cancellationToken) => Record("stop", taskId);

        public Task RemoveAsync(string taskId, CancellationToken cancellationToken) => Record("remove", taskId);

        private Task Record(string action, string taskId)
        {
            _events.Enqueue((action, taskId));
            return Task.CompletedTask;
        }
    }
}
