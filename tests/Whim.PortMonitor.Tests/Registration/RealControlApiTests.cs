using System.Text.Json.Nodes;
using FluentAssertions;
using Whim.Control;
using Whim.PortMonitor.Tests.Scanning;
using Whim.Testing;
using Xunit;

namespace Whim.PortMonitor.Tests.Registration;

/// <summary>
/// The monitor (in-process, fake /proc pointing at real listeners of this test) registering with the real control API
/// (in-process, SQLite) under a launched task's internal token: the port table and preview URLs follow, and after the
/// control API was stopped for a while and started again on the same database the full table is re-synced.
/// </summary>
public sealed class RealControlApiTests : IAsyncLifetime
{
    private const string AdminToken = "ports-test-admin-token-0123456789abcdef";

    private readonly FakeProc _proc = new();
    private readonly AnsweringListeners _listeners;
    private readonly TempRoot _controlRoot = new("whim-ports-control-");
    private readonly TempRoot _root = new();
    private readonly int _controlPort = LoopbackPort.Reserve();
    private StartedApp? _control;
    private StartedApp _monitor = null!;
    private LaunchedTask _task = null!;

    public RealControlApiTests() => _listeners = new AnsweringListeners(_proc, pid: 500);

    public async Task InitializeAsync()
    {
        _proc.Process(1, 0, "bash", "/bin/bash");
        _proc.Process(500, 1, "python3", "python3", "-m", "http.server");
        await StartControlAsync();
        using (var admin = ControlSeed.Client(_control!.BaseAddress, AdminToken))
        {
            var slug = "p" + Guid.NewGuid().ToString("N")[..10];
            var workspace = await ControlSeed.WorkspaceAsync(admin, slug, "PT");
            _task = await ControlSeed.LaunchTaskAsync(admin, workspace, "Serve the docs");
        }

        _monitor = await AnsweringListeners.StartMonitorAsync(_root, _proc, _task.TaskId, _control.BaseAddress, _task.InternalToken);
    }

    public async Task DisposeAsync()
    {
        await _monitor.DisposeAsync();
        if (_control is not null)
        {
            await _control.DisposeAsync();
        }

        _listeners.Dispose();

        _proc.Dispose();
        _root.Dispose();
        _controlRoot.Dispose();
    }

    [Fact]
    public async Task A_new_port_is_listed_by_the_control_API_with_its_preview_URL_and_removed_when_closed()
    {
        var (port, inode) = _listeners.Listen(fd: 10, inode: 8001);

        var entry = await WaitForTableAsync(ports => ports.Any(p => p!["port"]!.GetValue<int>() == port), "the port listed by the control API");
        var listed = entry.Single(p => p!["port"]!.GetValue<int>() == port)!;
        listed["process"]!.GetValue<string>().Should().Be("python3");
        listed["command"]!.GetValue<string>().Should().Be("python3 -m http.server");
        listed["ready"]!.GetValue<bool>().Should().BeTrue();
        listed["previewUrl"]!.GetValue<string>().Should().Contain(port.ToString(System.Globalization.CultureInfo.InvariantCulture), "each port has its own preview URL");

        _proc.Close(inode);

        await WaitForTableAsync(ports => ports.Count == 0, "the closed port gone from the control API");
    }

    [Fact]
    public async Task After_the_control_API_was_down_the_full_table_is_re_synced()
    {
        var (first, firstInode) = _listeners.Listen(fd: 10, inode: 8001);
        await WaitForTableAsync(ports => ports.Any(p => p!["port"]!.GetValue<int>() == first), "first port registered");

        await _control!.DisposeAsync();
        _control = null;
        _proc.Close(firstInode);
        var (second, _) = _listeners.Listen(fd: 11, inode: 8002);
        await Eventually.UntilAsync(async () =>
        {
            var table = await _monitor.Client.GetStringAsync("ports");
            return table.Contains($"\"port\":{second},", StringComparison.Ordinal) && !table.Contains($"\"port\":{first},", StringComparison.Ordinal);
        }, "the monitor's own table changed while the control API is down");

        await StartControlAsync();

        var ports = await WaitForTableAsync(
            table => table.Select(p => p!["port"]!.GetValue<int>()).Order().SequenceEqual([second]),
            "the control API holds exactly the current table after it came back");
        ports.Single()!["ready"]!.GetValue<bool>().Should().BeTrue();
    }

    private async Task StartControlAsync() =>
        _control = await StartedApp.StartAsync(ControlApp.Build(
            ["--urls", $"http://127.0.0.1:{_controlPort}", "--ROOT", _controlRoot.Path, "--ADMIN_TOKEN", AdminToken, "--DATABASE", string.Empty, "--PREVIEW:DOMAIN", "preview.test"]));

    private async Task<JsonArray> WaitForTableAsync(Func<JsonArray, bool> condition, string what)
    {
        JsonArray? last = null;
        await Eventually.UntilAsync(async () =>
        {
            using var client = ControlSeed.Client(_control!.BaseAddress, _task.InternalToken);
            var answer = JsonNode.Parse(await client.GetStringAsync($"api/v1/tasks/{_task.TaskId}/ports"))!;
            last = answer as JsonArray ?? answer["ports"]!.AsArray();
            return condition(last);
        }, what);
        return last!;
    }
}
