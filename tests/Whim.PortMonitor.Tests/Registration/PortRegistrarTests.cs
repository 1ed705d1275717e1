using System.Net;
using System.Net.Sockets;
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
    private readonly TempRoot _root = new();
    private readonly List<TcpListener> _listeners = [];
    private PortsControlApiStandIn _api = null!;
    private StartedApp _monitor = null!;

    public async Task InitializeAsync()
    {
        _proc.Process(1, 0, "bash", "/bin/bash");
        _proc.Process(500, 1, "node", "node", "server.js");
        _api = await PortsControlApiStandIn.StartAsync();
        _monitor = await StartedApp.StartAsync(PortMonitorApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--ROOT", _root.Path, "--PROC_ROOT", _proc.Root,
            "--TASK_ID", _api.TaskId, "--API_URL", _api.BaseAddress.ToString(), "--INTERNAL_API_TOKEN", PortsControlApiStandIn.Token,
            "--CONTROL_API:MAXRETRIES", "1", "--CONTROL_API:BASEDELAY", "00:00:00.010", "--CONTROL_API:MAXDELAY", "00:00:00.020", "--CONTROL_API:ATTEMPTTIMEOUT", "00:00:10", "--CONTROL_API:TOTALTIMEOUT", "00:00:20",
            "--PORTMONITOR:INTERVAL", "00:00:00.020", "--PORTMONITOR:REGISTRATIONRETRY", "00:00:00.050", "--PORTMONITOR:REGISTRATIONMAXDELAY", "00:00:00.200",
        ]));
    }

    public async Task DisposeAsync()
    {
        await _monitor.DisposeAsync();
        await _api.DisposeAsync();
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        _proc.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task Registers_a_ready_port_with_the_contract_fields_and_unregisters_it_when_closed()
    {
        await Eventually.UntilAsync(() => _api.Calls.Contains($"PUT /api/v1/tasks/{_api.TaskId}/ports"), "the initial full sync");
        var (port, inode) = Listen(fd: 10, inode: 7001);

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
        var (first, firstInode) = Listen(fd: 10, inode: 7001);
        await Eventually.UntilAsync(() => _api.Ports.ContainsKey(first), "first port registered");

        _api.Down = true;
        _proc.Close(firstInode);
        var (second, _) = Listen(fd: 11, inode: 7002);
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

    private (int Port, ulong Inode) Listen(int fd, ulong inode)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _listeners.Add(listener);
        _ = AnswerAsync(listener);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _proc.Listen(500, fd, "127.0.0.1", port, inode);
        return (port, inode);
    }

    // A tiny HTTP answerer so the readiness probe gets its first bytes.
    private static async Task AnswerAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                await client.GetStream().WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
