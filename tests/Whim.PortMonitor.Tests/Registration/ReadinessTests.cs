using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Whim.PortMonitor.Table;
using Whim.PortMonitor.Tests.Scanning;
using Whim.Testing;
using Xunit;

namespace Whim.PortMonitor.Tests.Registration;

/// <summary>
/// When a listener counts as ready, and that finding out never disturbs it by default: single-client servers (a test
/// runner's channel) take any connection for their one client.
/// </summary>
public sealed class ReadinessTests : IAsyncLifetime
{
    private readonly FakeProc _proc = new();
    private readonly TempRoot _root = new();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private PortsControlApiStandIn _api = null!;

    public async Task InitializeAsync()
    {
        _proc.Process(1, 0, "bash", "/bin/bash");
        _proc.Process(500, 1, "dotnet", "dotnet", "vstest.console.dll");
        _api = await PortsControlApiStandIn.StartAsync();
        _listener.Start();
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        await _api.DisposeAsync();
        _proc.Dispose();
        _root.Dispose();
    }

    [Fact]
    public async Task A_listener_is_ready_as_soon_as_it_listens_and_nothing_connects_to_it()
    {
        await using var monitor = await AnsweringListeners.StartMonitorAsync(_root, _proc, _api.TaskId, _api.BaseAddress, PortsControlApiStandIn.Token);
        var port = Listen();

        await Eventually.UntilAsync(() => _api.Ports.TryGetValue(port, out var entry) && entry["ready"]!.GetValue<bool>(), "the port registered as ready");

        _listener.Pending().Should().BeFalse("the monitor never opened a connection to the listener");
    }

    [Fact]
    public async Task A_new_listener_is_published_once_already_ready()
    {
        await using var monitor = await AnsweringListeners.StartMonitorAsync(_root, _proc, _api.TaskId, _api.BaseAddress, PortsControlApiStandIn.Token);
        var table = monitor.App.Services.GetRequiredService<PortTable>();
        var before = table.Current.Version;
        var port = Listen();

        await Eventually.UntilAsync(() => table.Current.Ports.Any(p => p.Port == port), "the port in the table");

        var snapshot = table.Current;
        snapshot.Ports.Should().ContainSingle(p => p.Port == port).Which.Ready.Should().BeTrue();
        snapshot.Version.Should().Be(before + 1, "one publish (one fsync'ed file write) for the new listener, not one unready and one ready");
    }

    [Fact]
    public async Task With_the_http_probe_a_silent_listener_is_connected_to_and_counts_as_ready_once_the_probe_times_out()
    {
        await using var monitor = await AnsweringListeners.StartMonitorAsync(_root, _proc, _api.TaskId, _api.BaseAddress, PortsControlApiStandIn.Token,
            "--PORTMONITOR:PROBE", "http", "--PORTMONITOR:PROBETIMEOUT", "00:00:00.300");
        var port = Listen();

        await Eventually.UntilAsync(() => _listener.Pending(), "the probe's connection");
        await Eventually.UntilAsync(() => _api.Ports.TryGetValue(port, out var entry) && entry["ready"]!.GetValue<bool>(), "ready after the probe timeout");
    }

    private int Listen()
    {
        var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _proc.Listen(500, 7, "127.0.0.1", port, 9101);
        return port;
    }
}
