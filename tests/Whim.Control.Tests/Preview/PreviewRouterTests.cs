using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Whim.Control.Tests.Fixtures;
using Xunit;

namespace Whim.Control.Tests.Preview;

/// <summary>Two tasks, two LocalProxy stand-ins: each preview host reaches its own task's port, WebSocket included.</summary>
public sealed class PreviewRouterTests : IAsyncLifetime
{
    private ControlHost _host = null!;
    private StubServer _proxy1 = null!;
    private StubServer _proxy2 = null!;

    public async Task InitializeAsync()
    {
        _host = await ControlHost.StartAsync(new SqliteBackend());
        _proxy1 = await StartLocalProxyAsync("one");
        _proxy2 = await StartLocalProxyAsync("two");
    }

    public async Task DisposeAsync()
    {
        await _proxy1.DisposeAsync();
        await _proxy2.DisposeAsync();
        await _host.DisposeAsync();
    }

    private static Task<StubServer> StartLocalProxyAsync(string name) => StubServer.StartAsync(app => app.Run(async context =>
    {
        var port = context.Request.Headers["X-Whim-Port"].ToString();
        if (context.WebSockets.IsWebSocketRequest)
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            var reply = Encoding.UTF8.GetBytes($"{name}:{port}:{Encoding.UTF8.GetString(buffer, 0, received.Count)}");
            await socket.SendAsync(reply, WebSocketMessageType.Text, true, CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            return;
        }

        await context.Response.WriteAsync($"{name}:{port}:{context.Request.Path}");
    }));

    [Fact]
    public async Task Preview_hosts_reach_their_own_tasks_port_over_http_and_websocket_without_crossover()
    {
        var ws = await _host.SeedWorkspaceAsync();
        using var mcp = _host.ClientWith(ws.McpToken);
        var (task1, _) = await _host.CreateTaskAsync(mcp, ws.WorkspaceId);
        var (task2, _) = await _host.CreateTaskAsync(mcp, ws.WorkspaceId);
        await SetLocalProxyAsync(task1, _proxy1);
        await SetLocalProxyAsync(task2, _proxy2);
        var host1 = Host(5173, task1);
        var host2 = Host(3000, task2);

        using var handler = new SocketsHttpHandler { ConnectCallback = ConnectToControlAsync, UseProxy = false };
        using var browser = new HttpClient(handler);
        (await browser.GetStringAsync($"http://{host1}/src/main.ts")).Should().Be("one:5173:/src/main.ts");
        (await browser.GetStringAsync($"http://{host2}/")).Should().Be("two:3000:/");
        (await browser.GetStringAsync($"http://{Host(8000, task1)}/x")).Should().Be("one:8000:/x");

        (await EchoAsync(handler, host1, "hmr")).Should().Be("one:5173:hmr");
        (await EchoAsync(handler, host2, "hmr")).Should().Be("two:3000:hmr");

        using var unknown = await browser.GetAsync("http://5173-zz-99.preview.test/");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        await ControlHost.PostAsync(mcp, $"api/v1/tasks/{task2["id"]}/sleep", new JsonObject());
        using var sleeping = await browser.GetAsync($"http://{host2}/");
        sleeping.StatusCode.Should().Be(HttpStatusCode.NotFound, "a sleeping task serves no preview");
        (await browser.GetStringAsync($"http://{host1}/still")).Should().Be("one:5173:/still");
    }

    private static string Host(int port, JsonNode task) => $"{port}-{task["displayId"]!.GetValue<string>().ToLowerInvariant()}.preview.test";

    private async Task SetLocalProxyAsync(JsonNode task, StubServer proxy)
    {
        using var response = await _host.Admin.PutAsJsonAsync($"api/v1/tasks/{task["id"]}/machine", new JsonObject { ["localProxyUrl"] = proxy.BaseAddress.ToString() });
        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    // Every preview host resolves to the control API's loopback port, as DNS would send it to the router.
    private async ValueTask<Stream> ConnectToControlAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, _host.App.BaseAddress.Port, ct);
        return new NetworkStream(socket, ownsSocket: true);
    }

    private static async Task<string> EchoAsync(SocketsHttpHandler handler, string host, string message)
    {
        using var socket = new ClientWebSocket();
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        await socket.ConnectAsync(new Uri($"ws://{host}/hmr"), invoker, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }
}
