using FluentAssertions;
using Whim.PortMonitor.Tests.Scanning;
using Whim.Testing;
using Xunit;

namespace Whim.PortMonitor.Tests.Registration;

/// <summary>
/// The whole monitor (in-process, fake /proc pointing at real listeners of this test) against the contract stand-in.
/// </summary>
public sealed class PortRegistrarTests : IAsyncLifetime
{
    private readonly FakeProc _proc = new();
    private readonly AnsweringListeners _listeners;
    private readonly TempRoot _root = new();
    private PortsControlApiStandIn _api = null!;
    private StartedApp _monitor = null!;

    public PortRegistrarTests() => _listeners = new AnsweringListeners(_proc, pid: 500);

    public async Task InitializeAsync()
    {
        _proc.Process(1, 0, "bash", "/bin/bash");
        _proc.Process(500, 1, "node", "node", "server.js");
        _api = await PortsControlApiStandIn.StartAsync();
        _monitor = await AnsweringListeners.StartMonitorAsync(_root, _proc, _api.TaskId, _api.BaseAddress, PortsControlApiStandIn.Token);
    }

    public async Task DisposeAsync()
    {
        await _monitor.DisposeAsync();
        await _api.DisposeAsync();
        _listeners.Dispose();

        _proc.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task Registers_a_ready_port_with_the_contract_fields_and_unregisters_it_when_closed()
    {
        await Eventually.UntilAsync(() => _api.Calls.Contains($"PUT /api/v1/tasks/{_api.TaskId}/ports"), "the initial full sync");
        var (port, inode) = _listeners.Listen(fd: 10, inode: 7001);

        await Eventually.UntilAsync(() => _api.Ports.ContainsKey(port), "port registered at the control API");
        var entry = _api.Ports[port];
        entry["process"]!.GetValue<string>().Should().Be("node");
        entry["command"]!.GetValue<string>().Should().Be("node server.js");
        entry["pid"]!.GetValue<int>().Should().Be(500);
        entry["family"]!.GetValue<string>().Should().Be("ipv4");
        entry["address"]!.GetValue<string>().Should().Be("127.0.0.1");
        entry["ready"]!.GetValue<bool>().Should().BeTrue();
        _api.Calls.Should().Contain($"PUT /api/v1/tasks/{_api.TaskId}/ports/{port}", "a port that opens after the full sync is registered alone");

        _proc.Close(inode);

        await Eventually.UntilAsync(() => !_api.Ports.ContainsKey(port), "port unregistered");
        _api.Calls.Should().Contain($"DELETE /api/v1/tasks/{_api.TaskId}/ports/{port}");
    }

    [Fact]
    public async Task Re_syncs_the_full_table_after_the_control_API_was_down()
    {
        var (first, firstInode) = _listeners.Listen(fd: 10, inode: 7001);
        await Eventually.UntilAsync(() => _api.Ports.ContainsKey(first), "first port registered");

        _api.Down = true;
        _proc.Close(firstInode);
        var (second, _) = _listeners.Listen(fd: 11, inode: 7002);
        await Eventually.UntilAsync(async () =>
        {
            var table = await _monitor.Client.GetStringAsync("ports");
            return table.Contains($"\"port\":{second},", StringComparison.Ordinal) && table.Contains("\"ready\":true", StringComparison.Ordinal);
        }, "second port ready in the table while the API is down");
        // A short blip is ridden out by the client's own retries (at most 5 attempts a call); the outage counts once
        // more calls were refused than one call's attempts, so at least one call failed for good.
        await Eventually.UntilAsync(() => _api.Refused > 5, "the registrar to have failed a call for good during the outage");
        var callsBeforeRecovery = _api.Calls.Count;

        _api.Down = false;

        await Eventually.UntilAsync(() => _api.Ports.Keys.Order().SequenceEqual([second]), "the control API holds exactly the current table");
        _api.Calls.Skip(callsBeforeRecovery).Should().Contain($"PUT /api/v1/tasks/{_api.TaskId}/ports", "recovery is a full replace");
    }
}
