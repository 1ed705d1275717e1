using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Whim.LocalProxy.Tests.Forwarding;
using Whim.Testing;
using Xunit;

namespace Whim.LocalProxy.Tests;

public sealed class ServiceProcessTests
{
    [Fact]
    public Task Starts_answers_healthz_and_exits_zero_on_SIGTERM() =>
        ServiceProcess.AssertStartsAndStopsCleanlyAsync("runtime/LocalProxy", "Whim.LocalProxy");

    [Fact]
    public Task Names_a_port_it_cannot_listen_on_and_exits_with_3() =>
        ServiceProcess.AssertNamesAPortItCannotListenOnAsync("runtime/LocalProxy", "Whim.LocalProxy");

    [Fact]
    public async Task Names_an_invalid_setting_and_exits_with_2()
    {
        using var root = new TempRoot();
        await using var process = RunningProcess.Start(ServiceProcess.Spec("runtime/LocalProxy", "Whim.LocalProxy", root.Path, "http://127.0.0.1:0", null, "--LOCALPROXY:ROUTERKEY", "short"));

        var code = await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        code.Should().Be(2, process.Output);
        process.Output.Should().Contain("local-proxy: invalid settings").And.Contain("WHIM_LOCALPROXY__ROUTERKEY").And.NotContain("Unhandled exception").And.NotContain("short");
    }

    // The process as shipped runs its I/O inline (socket completions and Kestrel on the I/O thread): concurrent
    // requests and a WebSocket still go through, each answered by the backend it names.
    [Fact]
    public async Task The_process_forwards_concurrent_requests_and_a_WebSocket_with_inline_io()
    {
        await using var backend = await Backend.StartAsync();
        var port = backend.BaseAddress.Port;
        using var root = new TempRoot();
        WriteTable(root, port);
        await using var proxy = await ServiceProcess.StartAsync("runtime/LocalProxy", "Whim.LocalProxy", root.Path);
        var host = port.ToString(CultureInfo.InvariantCulture) + ".localhost";

        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "echo");
            request.Headers.Host = host;
            using var response = await proxy.Client.SendAsync(request);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));
        answers.Should().OnlyContain(a => a.StatusCode == HttpStatusCode.OK);
        answers.Select(a => JsonDocument.Parse(a.Body).RootElement.GetProperty("host").GetString()).Should().OnlyContain(h => h == $"localhost:{port}");

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Host", host);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{proxy.BaseAddress.Port}/ws"), CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("ping through the proxy"), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[256];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Encoding.UTF8.GetString(buffer, 0, received.Count).Should().Be("ping through the proxy");
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    private static void WriteTable(TempRoot root, int port)
    {
        var entry = new { port, family = "ipv4", address = "127.0.0.1", pid = 1, process = "backend", command = "backend", firstSeen = DateTimeOffset.UtcNow, ready = true };
        var path = root.File("whim/run/ports.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(new { updatedAt = DateTimeOffset.UtcNow, ports = new[] { entry } }));
    }
}
