using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Whim.LocalProxy.FastPath;
using Whim.Testing;
using Xunit;

namespace Whim.LocalProxy.Tests.Forwarding;

/// <summary>
/// The HTTP/1.1 fast path against a dev server on raw sockets: every framing a dev server may use, interim
/// responses, kept connections the dev server closed, heads it must not relay, the hand-over to Kestrel and YARP in
/// the middle of a connection, pipelining, timeouts and the drain on shutdown.
/// </summary>
public sealed class FastPathTests : IAsyncDisposable
{
    private readonly TempRoot _root = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        _root.Dispose();
    }

    [Fact]
    public async Task Sends_the_dev_server_the_request_it_expects_and_keeps_client_headers_byte_for_byte()
    {
        var backend = Backend(static e => e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        var (proxy, fast) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        var response = await client.SendAsync($"GET /a?b=c HTTP/1.1\r\nHost: {backend.Port}.localhost\r\nX-Custom:  a\tb  \r\nConnection: keep-alive\r\nX-Forwarded-For: 6.6.6.6\r\nX-Whim-Router-Key: wrong-key-wrong-key\r\nAccept: */*\r\n\r\n");

        response.Status.Should().Be(200);
        response.Body.Should().Be("ok");
        backend.Requests.Should().ContainSingle().Which.Should().Be(
            $"GET /a?b=c HTTP/1.1\r\nHost: localhost:{backend.Port}\r\nX-Custom:  a\tb  \r\nAccept: */*\r\n"
            + $"X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Host: {backend.Port}.localhost\r\nX-Forwarded-Proto: http\r\n\r\n");
        fast.Forwarded.Should().Be(1);
        fast.HandedOver.Should().Be(0);
    }

    [Fact]
    public async Task A_chunked_body_passes_through_and_one_dev_server_connection_serves_the_client_connection()
    {
        var backend = Backend(static e => e.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"));
        var (proxy, fast) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        for (var i = 0; i < 3; i++)
        {
            var response = await client.SendAsync(Get(backend.Port, "/"));
            response.Body.Should().Be("hello world");
        }

        backend.Connections.Should().Be(1);
        fast.Forwarded.Should().Be(3);
    }

    [Fact]
    public async Task Streams_the_body_as_it_comes_without_waiting_for_the_end()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var backend = Backend(async e =>
        {
            await e.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
            await release.Task;
            await e.WriteAsync("6\r\n-later\r\n0\r\n\r\n");
        });
        var (proxy, _) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);
        await client.WriteAsync(Get(backend.Port, "/"));

        // The first chunk arrives while the dev server still holds the rest back.
        while (await RawResponse.ReadLineAsync(client.Stream).WaitAsync(TimeSpan.FromSeconds(20)) is { Length: > 0 })
        {
        }

        (await RawResponse.ReadLineAsync(client.Stream).WaitAsync(TimeSpan.FromSeconds(20))).Should().Be("5");
        (await RawResponse.ReadLineAsync(client.Stream).WaitAsync(TimeSpan.FromSeconds(20))).Should().Be("first");
        release.SetResult();
        (await RawResponse.ReadLineAsync(client.Stream)).Should().Be("6");
        (await RawResponse.ReadLineAsync(client.Stream)).Should().Be("-later");
    }

    [Fact]
    public async Task A_body_that_ends_when_the_dev_server_closes_reaches_the_client_chunked_and_the_client_connection_stays()
    {
        var backend = Backend(static async e =>
        {
            await e.WriteAsync("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ");
            await e.WriteAsync("close");
            e.Close = true;
        });
        var (proxy, fast) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        var first = await client.SendAsync(Get(backend.Port, "/"));
        var second = await client.SendAsync(Get(backend.Port, "/"));

        first.Header("Transfer-Encoding").Should().Be("chunked");
        first.Body.Should().Be("until close");
        second.Body.Should().Be("until close", "the client's connection outlives the dev server's");
        backend.Connections.Should().Be(2);
        fast.Forwarded.Should().Be(2);
    }

    [Fact]
    public async Task Responses_without_a_body_end_at_their_head()
    {
        var backend = Backend(static e => e.Target switch
        {
            "/head" => e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"),
            "/204" => e.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n"),
            "/304" => e.WriteAsync("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"),
            _ => e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast"),
        });
        var (proxy, fast) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        await client.WriteAsync($"HEAD /head HTTP/1.1\r\nHost: {backend.Port}.localhost\r\n\r\n");
        var head = await RawResponse.ReadAsync(client.Stream, toHead: true);
        var noContent = await client.SendAsync(Get(backend.Port, "/204"));
        var notModified = await client.SendAsync(Get(backend.Port, "/304"));
        var last = await client.SendAsync(Get(backend.Port, "/last"));

        head.Header("Content-Length").Should().Be("100");
        noContent.Status.Should().Be(204);
        notModified.Header("ETag").Should().Be("\"x\"");
        last.Body.Should().Be("last");
        backend.Connections.Should().Be(1);
        fast.Forwarded.Should().Be(4);
    }

    [Fact]
    public async Task Interim_responses_are_not_passed_on()
    {
        var backend = Backend(static e => e.WriteAsync("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        var (proxy, _) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        var response = await client.SendAsync(Get(backend.Port, "/"));

        response.Status.Should().Be(200);
        response.Body.Should().Be("ok");
    }

    [Fact]
    public async Task A_kept_connection_the_dev_server_closed_while_idle_is_replaced()
    {
        // Closes after each answer without saying so, as a dev server with a short keep-alive does.
        var backend = Backend(static async e =>
        {
            await e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            e.Close = true;
        });
        var (proxy, fast) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        (await client.SendAsync(Get(backend.Port, "/"))).Body.Should().Be("ok");
        await Eventually.UntilAsync(() => Task.FromResult(backend.Connections == 1 && backend.Requests.Count == 1), "the first exchange done");
        (await client.SendAsync(Get(backend.Port, "/"))).Body.Should().Be("ok");

        fast.Forwarded.Should().Be(2, "the second request went out again on a new connection, still on the fast path");
        backend.Connections.Should().Be(2);
    }

    [Fact]
    public async Task A_head_the_fast_path_does_not_relay_goes_to_YARP_which_answers_502()
    {
        var backend = Backend(static e => e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok"));
        var (proxy, fast) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        var response = await client.SendAsync(Get(backend.Port, "/"));

        response.Status.Should().Be(502);
        fast.Forwarded.Should().Be(0);
        fast.HandedOver.Should().Be(1);
    }

    [Fact]
    public async Task A_request_with_a_body_hands_the_connection_to_YARP_in_the_middle()
    {
        var backend = Backend(static async e =>
        {
            var body = e.Head.StartsWith("POST", StringComparison.Ordinal) ? await e.ReadBodyAsync() : "get";
            await e.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        });
        var (proxy, fast) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        var get = await client.SendAsync(Get(backend.Port, "/"));
        var post = await client.SendAsync($"POST /save HTTP/1.1\r\nHost: {backend.Port}.localhost\r\nContent-Length: 5\r\n\r\nhello");
        var getAgain = await client.SendAsync(Get(backend.Port, "/"));

        get.Body.Should().Be("get");
        post.Body.Should().Be("hello");
        getAgain.Body.Should().Be("get");
        fast.Forwarded.Should().Be(1);
        fast.HandedOver.Should().Be(1);
        backend.Requests.Last().Should().Contain($"Host: localhost:{backend.Port}");
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order()
    {
        var backend = Backend(static e => e.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Length: {e.Target.Length}\r\n\r\n{e.Target}"));
        var (proxy, _) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        await client.WriteAsync(Get(backend.Port, "/one") + Get(backend.Port, "/two") + Get(backend.Port, "/three"));

        (await RawResponse.ReadAsync(client.Stream)).Body.Should().Be("/one");
        (await RawResponse.ReadAsync(client.Stream)).Body.Should().Be("/two");
        (await RawResponse.ReadAsync(client.Stream)).Body.Should().Be("/three");
    }

    [Fact]
    public async Task Connection_close_from_the_client_is_answered_and_the_connection_closed()
    {
        var backend = Backend(static e => e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nok"));
        var (proxy, _) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        var response = await client.SendAsync($"GET / HTTP/1.1\r\nHost: {backend.Port}.localhost\r\nConnection: close\r\n\r\n");

        response.Header("Connection").Should().Be("close");
        response.Header("Keep-Alive").Should().BeNull("hop-by-hop headers stop at the proxy");
        (await client.Stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(20))).Should().Be(0);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: {port}.localhost\r\nHost: evil.example\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: {port}.localhost\r\nX-Folded: a\r\n b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: {port}.localhost\r\nBad Name: x\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: {port}.localhost\r\nX-Nul: a\u0000b\r\n\r\n")]
    public async Task Malformed_heads_are_left_to_Kestrel_which_refuses_them(string template)
    {
        var backend = Backend(static e => e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        var (proxy, fast) = await ProxyAsync(backend.Port);

        var status = await RawHttp.StatusAsync(proxy.BaseAddress.Port, template.Replace("{port}", backend.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

        status.Should().Be(400);
        fast.Forwarded.Should().Be(0);
        backend.Requests.Should().BeEmpty();
    }

    // Kestrel accepts these (bare LF line ends, a control character in the target, a body framed by both
    // Content-Length and chunked, where chunked wins): the fast path does not take them, Kestrel parses them and YARP
    // forwards what Kestrel understood, normalised.
    [Theory]
    [InlineData("GET / HTTP/1.1\nHost: {port}.localhost\n\n")]
    [InlineData("GET /\u0001 HTTP/1.1\r\nHost: {port}.localhost\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: {port}.localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")]
    public async Task Unusual_heads_are_left_to_Kestrel_and_YARP(string template)
    {
        var backend = Backend(static async e =>
        {
            if (e.Head.Contains("Transfer-Encoding: chunked", StringComparison.Ordinal))
            {
                await RawResponse.ReadLineAsync(e.Stream);
                await RawResponse.ReadLineAsync(e.Stream);
            }

            await e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
        var (proxy, fast) = await ProxyAsync(backend.Port);

        var status = await RawHttp.StatusAsync(proxy.BaseAddress.Port, template.Replace("{port}", backend.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

        status.Should().Be(200);
        fast.Forwarded.Should().Be(0);
        fast.HandedOver.Should().Be(1);
        var seen = backend.Requests.Should().ContainSingle().Subject;
        seen.Should().NotContain("\n\n").And.NotContain("\r\nContent-Length: 5", "what reaches the dev server is YARP's request, not the bytes the client sent");
    }

    // A TLS hello, HTTP/2's preface or another method is told apart on its first bytes, not after waiting for a
    // head that never comes.
    [Theory]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00 })]
    [InlineData(new byte[] { (byte)'P', (byte)'R', (byte)'I', (byte)' ' })]
    [InlineData(new byte[] { (byte)'P', (byte)'O', (byte)'S', (byte)'T' })]
    public async Task A_connection_that_does_not_start_like_GET_or_HEAD_is_handed_over_at_its_first_bytes(byte[] start)
    {
        var backend = Backend(static e => e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        var (proxy, fast) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);

        await client.Stream.WriteAsync(start);

        await Eventually.UntilAsync(() => fast.HandedOver == 1, "the connection handed to Kestrel");
        fast.Forwarded.Should().Be(0);
    }

    [Fact]
    public async Task A_dev_server_silent_for_longer_than_the_activity_timeout_is_cut()
    {
        var backend = Backend(static async e =>
        {
            await e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
            await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        });
        var (proxy, _) = await ProxyAsync(backend.Port, "--LOCALPROXY:ACTIVITYTIMEOUT", "00:00:01");
        using var client = await ConnectAsync(proxy);
        await client.WriteAsync(Get(backend.Port, "/"));

        var cut = async () =>
        {
            var buffer = new byte[4096];
            try
            {
                while (await client.Stream.ReadAsync(buffer) > 0)
                {
                }
            }
            catch (IOException)
            {
                // reset: cut as well
            }
        };

        await cut.Should().CompleteWithinAsync(TimeSpan.FromSeconds(20), "the proxy closes the client connection once the dev server was silent too long");
    }

    [Fact]
    public async Task On_shutdown_a_response_in_flight_finishes_and_the_connection_then_closes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var backend = Backend(async e =>
        {
            await e.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
            started.TrySetResult();
            await release.Task;
            await e.WriteAsync("4\r\nlast\r\n0\r\n\r\n");
        });
        var (proxy, _) = await ProxyAsync(backend.Port);
        using var client = await ConnectAsync(proxy);
        await client.WriteAsync(Get(backend.Port, "/"));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var stopping = proxy.App.StopAsync();
        release.SetResult();
        var response = await RawResponse.ReadAsync(client.Stream).WaitAsync(TimeSpan.FromSeconds(20));
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));

        response.Body.Should().Be("firstlast");
        (await client.Stream.ReadAsync(new byte[1])).Should().Be(0);
    }

    [Fact]
    public async Task The_router_key_makes_its_forwarded_headers_trusted_on_the_fast_path()
    {
        var backend = Backend(static e => e.WriteAsync("HTTP/1.1 302 Found\r\nLocation: http://localhost:" + e.Head.Split("localhost:")[1].Split("\r\n")[0] + "/next?a=1,2\r\nContent-Length: 0\r\n\r\n"));
        var (proxy, fast) = await ProxyAsync(backend.Port, "--LOCALPROXY:ROUTERKEY", "router-key-for-tests-0123456789");
        using var client = await ConnectAsync(proxy);

        var response = await client.SendAsync(
            $"GET / HTTP/1.1\r\nHost: {backend.Port}-ww-1.preview.example\r\nX-Whim-Router-Key: router-key-for-tests-0123456789\r\nX-Whim-Port: {backend.Port}\r\n"
            + $"X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Host: {backend.Port}-ww-1.preview.example\r\nX-Forwarded-Proto: https\r\nOrigin: https://{backend.Port}-ww-1.preview.example\r\n\r\n");

        response.Header("Location").Should().Be("/next?a=1,2", "a redirect to the dev server itself stays on the preview URL, commas and all");
        var seen = backend.Requests.Single();
        seen.Should().Contain("X-Forwarded-For: 203.0.113.9, 127.0.0.1\r\n").And.Contain("X-Forwarded-Proto: https\r\n")
            .And.Contain($"X-Forwarded-Host: {backend.Port}-ww-1.preview.example\r\n").And.Contain($"Origin: http://localhost:{backend.Port}\r\n")
            .And.NotContain("X-Whim-Router-Key").And.NotContain("X-Whim-Port");
        fast.Forwarded.Should().Be(1);
    }

    private static string Get(int port, string target) => $"GET {target} HTTP/1.1\r\nHost: {port}.localhost\r\n\r\n";

    private ScriptedBackend Backend(Func<Exchange, Task> respond)
    {
        var backend = new ScriptedBackend(respond);
        _owned.Add(backend);
        return backend;
    }

    private async Task<(StartedApp Proxy, Http1FastPath Fast)> ProxyAsync(int backendPort, params string[] more)
    {
        var path = _root.File("whim/run/ports.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var entry = new { port = backendPort, family = "ipv4", address = "127.0.0.1", pid = 1, process = "node", command = "npm run dev", firstSeen = DateTimeOffset.UtcNow, ready = true };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { updatedAt = DateTimeOffset.UtcNow, ports = new[] { entry } }));
        var proxy = await StartedApp.StartAsync(LocalProxyApp.Build(["--urls", "http://127.0.0.1:0", "--ROOT", _root.Path, .. more]));
        _owned.Add(proxy);
        return (proxy, proxy.App.Services.GetRequiredService<Http1FastPath>());
    }

    private static async Task<Client> ConnectAsync(StartedApp proxy)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", proxy.BaseAddress.Port);
        return new Client(tcp);
    }

    private sealed class Client(TcpClient tcp) : IDisposable
    {
        public Stream Stream { get; } = tcp.GetStream();

        public Task WriteAsync(string request) => Stream.WriteAsync(Encoding.ASCII.GetBytes(request)).AsTask();

        public async Task<RawResponse> SendAsync(string request)
        {
            await WriteAsync(request);
            return await RawResponse.ReadAsync(Stream).WaitAsync(TimeSpan.FromSeconds(20));
        }

        public void Dispose() => tcp.Dispose();
    }
}
