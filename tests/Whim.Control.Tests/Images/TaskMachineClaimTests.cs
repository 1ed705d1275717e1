using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Whim.Control.Images.Machines;
using Whim.Control.Tests.Fixtures;
using Whim.Testing;
using Xunit;

namespace Whim.Control.Tests.Images;

/// <summary>
/// With <c>Images:Enabled</c>, launching a task claims a warm reserve of its image (or cold-creates a machine) on the
/// real control API (SQLite) with an in-memory machine provider; the reconciler loop runs on a fake clock, so a pass
/// happens only when the test advances it.
/// </summary>
public sealed class TaskMachineClaimTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly MemoryMachines _machines = new();
    private ControlHost _host = null!;
    private Seeded _ws = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await ControlHost.StartAsync(
            new SqliteBackend(),
            services =>
            {
                services.AddSingleton<TimeProvider>(_time);
                services.AddSingleton<IMachineProvider>(_machines);
            },
            "--IMAGES:ENABLED", "true",
            "--IMAGES:RECONCILEINTERVAL", "00:00:30");
        _ws = await _host.SeedWorkspaceAsync();
        _client = _host.ClientWith(_ws.McpToken);
        await ControlHost.PutTrackedAsync(_client, $"api/v1/workspaces/{_ws.WorkspaceId}/branches/main", isDefault: true);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private string MainReserve => $"api/v1/workspaces/{_ws.WorkspaceId}/reserves/main";

    private async Task<int> WarmAsync() => (await ControlHost.GetJsonAsync(_client, MainReserve))["warm"]!.GetValue<int>();

    /// <summary>Lets the reconciler run one pass and waits until the main pool holds <paramref name="warm"/> warm machines.</summary>
    private async Task ReconcileUntilWarmAsync(int warm)
    {
        _time.Advance(Interval);
        await Eventually.UntilAsync(async () => await WarmAsync() == warm, $"{warm} warm reserves");
    }

    private async Task<(JsonNode Task, string Token)> LaunchAsync()
    {
        var (task, token) = await _host.CreateTaskAsync(_client, _ws.WorkspaceId);
        return (task, token!);
    }

    [Fact]
    public async Task Launch_claims_a_warm_reserve_injects_the_task_config_and_the_reconciler_refills_the_pool()
    {
        (await _client.PutAsJsonAsync(MainReserve, new JsonObject { ["target"] = 2 })).EnsureSuccessStatusCode();
        await ReconcileUntilWarmAsync(2);

        var (task, token) = await LaunchAsync();

        var machine = task["machine"]!;
        machine["source"]!.GetValue<string>().Should().Be("reserve");
        var machineId = machine["id"]!.GetValue<string>();
        _machines.StateOf(machineId).Should().Be(MachineState.Running, "the claimed reserve is resumed");
        (await WarmAsync()).Should().Be(1, "one warm reserve is left until the reconciler's next pass");
        var config = JsonNode.Parse(_machines.Injected[machineId])!;
        config["taskId"]!.GetValue<string>().Should().Be(task["id"]!.GetValue<string>());
        config["displayId"]!.GetValue<string>().Should().Be(task["displayId"]!.GetValue<string>());
        config["sourceBranch"]!.GetValue<string>().Should().Be("main");
        config["imageRef"]!.GetValue<string>().Should().Be("localhost/whim-runner:latest", "no image is active, so the default runtime runs");
        config["internalToken"]!.GetValue<string>().Should().Be(token);
        (await ControlHost.GetJsonAsync(_client, $"api/v1/tasks/{task["id"]}"))["machine"]!["id"]!.GetValue<string>().Should().Be(machineId);

        await ReconcileUntilWarmAsync(2);
        _machines.Count.Should().Be(3, "two warm reserves and the task's machine");
        await Eventually.UntilAsync(() => Task.FromResult(_host.LogText().Contains(machineId, StringComparison.Ordinal)), "the launch to be logged");
        _host.LogText().Should().NotContain(token, "the internal token goes into the machine's config only");
    }

    [Fact]
    public async Task Launch_with_no_reserve_target_cold_creates_a_running_machine()
    {
        var (task, token) = await LaunchAsync();

        var machine = task["machine"]!;
        machine["source"]!.GetValue<string>().Should().Be("cold");
        var machineId = machine["id"]!.GetValue<string>();
        _machines.StateOf(machineId).Should().Be(MachineState.Running);
        _machines.Count.Should().Be(1);
        JsonNode.Parse(_machines.Injected[machineId])!["taskId"]!.GetValue<string>().Should().Be(task["id"]!.GetValue<string>());
        (await WarmAsync()).Should().Be(0);
        await Eventually.UntilAsync(() => Task.FromResult(_host.LogText().Contains(machineId, StringComparison.Ordinal)), "the launch to be logged");
        _host.LogText().Should().NotContain(token);
    }

    [Fact]
    public async Task Sleep_and_complete_suspend_the_task_machine_wake_resumes_it_and_archive_removes_it()
    {
        var (task, _) = await LaunchAsync();
        var id = task["id"]!.GetValue<string>();
        var machineId = task["machine"]!["id"]!.GetValue<string>();

        await ControlHost.PostAsync(_client, $"api/v1/tasks/{id}/sleep", new JsonObject());
        _machines.StateOf(machineId).Should().Be(MachineState.Paused);
        await ControlHost.PostAsync(_client, $"api/v1/tasks/{id}/wake", new JsonObject());
        _machines.StateOf(machineId).Should().Be(MachineState.Running);
        await ControlHost.PostAsync(_client, $"api/v1/tasks/{id}/complete", new JsonObject());
        _machines.StateOf(machineId).Should().Be(MachineState.Paused);
        await ControlHost.PostAsync(_client, $"api/v1/tasks/{id}/archive", new JsonObject());

        _machines.StateOf(machineId).Should().Be(MachineState.Missing);
        _machines.Count.Should().Be(0);
    }

    [Fact]
    public async Task Waking_a_task_whose_machine_is_gone_starts_it_fresh_on_a_claimed_reserve_with_a_new_token()
    {
        var (task, oldToken) = await LaunchAsync();
        var id = task["id"]!.GetValue<string>();
        var gone = task["machine"]!["id"]!.GetValue<string>();
        await ControlHost.PostAsync(_client, $"api/v1/tasks/{id}/sleep", new JsonObject());
        await _machines.RemoveAsync(gone, default);
        (await _client.PutAsJsonAsync(MainReserve, new JsonObject { ["target"] = 1 })).EnsureSuccessStatusCode();
        await ReconcileUntilWarmAsync(1);

        var woken = await ControlHost.PostAsync(_client, $"api/v1/tasks/{id}/wake", new JsonObject());

        woken["status"]!.GetValue<string>().Should().Be("active");
        var machine = woken["machine"]!;
        machine["source"]!.GetValue<string>().Should().Be("reserve");
        var fresh = machine["id"]!.GetValue<string>();
        fresh.Should().NotBe(gone);
        _machines.StateOf(fresh).Should().Be(MachineState.Running);
        var config = JsonNode.Parse(_machines.Injected[fresh])!;
        config["taskId"]!.GetValue<string>().Should().Be(id);
        config["internalToken"]!.GetValue<string>().Should().NotBe(oldToken, "the old token is revoked and a new one issued");
        using var withOldToken = _host.ClientWith(oldToken);
        (await withOldToken.GetAsync($"api/v1/tasks/{id}/ports")).StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Launch_whose_machine_cannot_be_created_is_503_and_leaves_a_todo_that_launches_later()
    {
        var (todo, _) = await _host.CreateTaskAsync(_client, _ws.WorkspaceId, launch: false);
        var id = todo["id"]!.GetValue<string>();
        _machines.FailCreate = true;

        using (var failed = await _client.PostAsync($"api/v1/tasks/{id}/launch", null))
        {
            failed.StatusCode.Should().Be(System.Net.HttpStatusCode.ServiceUnavailable);
            failed.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        }

        var after = await ControlHost.GetJsonAsync(_client, $"api/v1/tasks/{id}");
        after["status"]!.GetValue<string>().Should().Be("todo");
        after["launchedAt"].Should().BeNull();
        after["machine"].Should().BeNull();

        _machines.FailCreate = false;
        var relaunched = await ControlHost.PostAsync(_client, $"api/v1/tasks/{id}/launch", new JsonObject());
        relaunched["task"]!["machine"]!["source"]!.GetValue<string>().Should().Be("cold");
        relaunched["internalToken"]!.GetValue<string>().Should().StartWith("whim_task_");
    }
}

/// <summary>With images off (the default), tasks launch through the local provider and carry no machine.</summary>
public sealed class LocalLaunchTests
{
    [Fact]
    public async Task Launch_without_images_enabled_uses_the_local_endpoints_and_records_no_machine()
    {
        var machines = new MemoryMachines();
        await using var host = await ControlHost.StartAsync(new SqliteBackend(), services => services.AddSingleton<IMachineProvider>(machines));
        var ws = await host.SeedWorkspaceAsync();
        using var client = host.ClientWith(ws.McpToken);

        var (task, _) = await host.CreateTaskAsync(client, ws.WorkspaceId);

        task["status"]!.GetValue<string>().Should().Be("active");
        task["machine"].Should().BeNull();
        machines.Count.Should().Be(0, "the images provider is not asked for a machine");
    }
}
