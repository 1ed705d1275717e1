using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Whim.Testing;
using Xunit;

namespace Whim.LocalProxy.Tests.Forwarding;

/// <summary>The proxy's behaviour as it runs by default: the HTTP/1.1 fast path on (GET and HEAD take it), the epoll transport.</summary>
public sealed class LocalProxyFastPathTests : LocalProxyTests
{
    protected override bool FastPath => true;

    protected override string Transport => "epoll";
}

/// <summary>The same behaviour with the fast path off: every request goes through Kestrel and YARP.</summary>
public sealed class LocalProxyYarpPathTests : LocalProxyTests
{
    protected override bool FastPath => false;

    protected override string Transport => "epoll";
}

/// <summary>The same behaviour on Kestrel's own socket transport (<c>WHIM_LOCALPROXY__TRANSPORT=sockets</c>).</summary>
public sealed class LocalProxySocketsTransportTests : LocalProxyTests
{
    protected override bool FastPath => true;

    protected override string Transport => "sockets";
}

/// <summary>
/// The real proxy (in-process, Kestrel on port 0) in front of a stand-in dev server, routed by a port table file;
/// run with the HTTP/1.1 fast path on and off and on both transports, since all must behave the same.
/// </summary>
public abstract class LocalProxyTests : IAsyncLifetime
{
    private const string RouterKey = "router-key-for-tests-0123456789";
    private readonly TempRoot _root = new();
    private StartedApp _backend = null!;
    private StartedApp _proxy = null!;

    protected abstract bool FastPath { get; }

    protected abstract string Transport { get; }

    private int BackendPort => _backend.BaseAddress.Port;

    private int ProxyPort => _proxy.BaseAddress.Port;

    public async Task InitializeAsync()
    {
        _backend = await Backend.StartAsync();
        WriteTable((BackendPort, "ipv4", "127.0.0.1", true, 0));
        _proxy = await StartedApp.StartAsync(LocalProxyApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--ROOT", _root.Path, "--LOCALPROXY:ROUTERKEY", RouterKey, "--LOCALPROXY:REFRESHINTERVAL", "00:00:00.200",
            "--LOCALPROXY:FASTPATH", FastPath ? "true" : "false", "--LOCALPROXY:TRANSPORT", Transport,
        ]));
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task Forwards_by_port_host_with_the_host_and_origin_the_dev_server_expects()
    {
        var publicHost = $"{BackendPort}.localhost:{ProxyPort}";
        using var request = new HttpRequestMessage(HttpMethod.Get, "echo");
        request.Headers.Host = publicHost;
        request.Headers.Add("Origin", $"http://{publicHost}");
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        request.Headers.Add("X-Forwarded-Host", "evil.example");

        var echo = await SendAsync(request);

        echo.GetProperty("host").GetString().Should().Be($"localhost:{BackendPort}");
        echo.GetProperty("origin").GetString().Should().Be($"http://localhost:{BackendPort}");
        echo.GetProperty("forwardedHost").GetString().Should().Be(publicHost, "a client's own X-Forwarded-Host is not trusted");
        echo.GetProperty("forwardedFor").GetString().Should().Be("127.0.0.1");
        echo.GetProperty("forwardedProto").GetString().Should().Be("http");
    }

    [Fact]
    public async Task Leaves_a_cross_site_origin_alone_so_the_dev_server_can_refuse_it()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "echo");
        request.Headers.Host = $"{BackendPort}.localhost";
        request.Headers.Add("Origin", "https://attacker.example");

        var echo = await SendAsync(request);

        echo.GetProperty("origin").GetString().Should().Be("https://attacker.example");
    }

    [Fact]
    public async Task Trusts_forwarded_headers_only_from_the_router_and_strips_the_router_headers()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "echo");
        request.Headers.Host = $"{BackendPort}-ww-12.preview.example";
        request.Headers.Add("X-Whim-Router-Key", RouterKey);
        request.Headers.Add("X-Whim-Port", BackendPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Forwarded-Host", $"{BackendPort}-ww-12.preview.example");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("Origin", $"https://{BackendPort}-ww-12.preview.example");

        var echo = await SendAsync(request);

        echo.GetProperty("forwardedFor").GetString().Should().Be("203.0.113.9, 127.0.0.1");
        echo.GetProperty("forwardedHost").GetString().Should().Be($"{BackendPort}-ww-12.preview.example");
        echo.GetProperty("forwardedProto").GetString().Should().Be("https");
        echo.GetProperty("origin").GetString().Should().Be($"http://localhost:{BackendPort}");
        echo.GetProperty("routerKey").GetString().Should().BeEmpty("the router's secret never reaches the dev server");
        echo.GetProperty("whimPort").GetString().Should().BeEmpty();
    }

    [Fact]
    public async Task A_bare_host_goes_to_the_primary_dev_server()
    {
        var echo = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "echo"));
        echo.GetProperty("host").GetString().Should().Be($"localhost:{BackendPort}");
    }

    [Fact]
    public async Task Rewrites_a_redirect_to_localhost_into_a_relative_location()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "redirect");
        request.Headers.Host = $"{BackendPort}.localhost";
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = _proxy.BaseAddress };

        using var response = await client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.OriginalString.Should().Be("/target?x=1");
    }

    [Fact]
    public async Task Speaks_HTTP2_with_prior_knowledge_when_configured_for_h2c()
    {
        await using var h2c = await StartedApp.StartAsync(LocalProxyApp.Build(["--urls", "http://127.0.0.1:0", "--ROOT", _root.Path, "--LOCALPROXY:PROTOCOLS", "Http2"]));
        using var client = new HttpClient { BaseAddress = h2c.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "echo") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Host = $"{BackendPort}.localhost";

        using var response = await client.SendAsync(request);

        response.Version.Should().Be(HttpVersion.Version20);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("protocol").GetString().Should().Be("HTTP/1.1", "dev servers are reached over HTTP/1.1");
    }

    [Fact]
    public async Task Proxies_a_WebSocket_both_ways()
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Whim-Port", BackendPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{ProxyPort}/ws"), CancellationToken.None);

        await socket.SendAsync(Encoding.UTF8.GetBytes("hmr ping"), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);

        Encoding.UTF8.GetString(buffer, 0, received.Count).Should().Be("hmr ping");
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task A_port_not_listening_yet_gets_a_self_reloading_page_for_browsers_and_json_for_clients()
    {
        var silent = LoopbackPort.Reserve();
        using var browser = new HttpRequestMessage(HttpMethod.Get, "/");
        browser.Headers.Host = $"{silent}.localhost";
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");
        using var page = await _proxy.Client.SendAsync(browser);

        page.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        page.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(1));
        var html = await page.Content.ReadAsStringAsync();
        html.Should().Contain("http-equiv=\"refresh\"").And.Contain($"Port {silent}");

        using var api = new HttpRequestMessage(HttpMethod.Get, "/");
        api.Headers.Host = $"{silent}.localhost";
        api.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var json = await _proxy.Client.SendAsync(api);

        json.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        json.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement.GetProperty("port").GetInt32().Should().Be(silent);
    }

    [Fact]
    public async Task Picks_up_a_new_port_from_the_table_file_without_a_restart()
    {
        // bind(0) on ::1 may hand out the same number as the IPv4 backend's port: that would not be a new port.
        var second = await Backend.StartAsync("[::1]");
        while (second.BaseAddress.Port == BackendPort)
        {
            var again = await Backend.StartAsync("[::1]");
            await second.DisposeAsync();
            second = again;
        }

        await using var _ = second;
        var port = second.BaseAddress.Port;
        using (var before = new HttpRequestMessage(HttpMethod.Get, "echo"))
        {
            before.Headers.Host = $"{port}.localhost";
            (await _proxy.Client.SendAsync(before)).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        }

        WriteTable((BackendPort, "ipv4", "127.0.0.1", true, 0), (port, "ipv6", "::1", true, 1));

        await Eventually.UntilAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "echo");
            request.Headers.Host = $"{port}.localhost";
            using var response = await _proxy.Client.SendAsync(request);
            return response.StatusCode == HttpStatusCode.OK;
        }, "the IPv6-only server reachable after the table changed");
    }

    [Theory]
    [InlineData("GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n")]
    [InlineData("GET http://127.0.0.1:{backend}/echo HTTP/1.1\r\nHost: 127.0.0.1:{backend}\r\n\r\n")]
    [InlineData("CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: evil.example\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: {backend}.localhost.evil.example\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: localhost\r\nX-Whim-Port: evil.example:80\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: localhost\r\nX-Whim-Port: 127.0.0.1:{backend}\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: 3001.localhost\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: 8080.localhost\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: localhost\r\nX-Whim-Port: 8081\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: 8082-x.preview.example\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: localhost\r\nX-Whim-Port: 5080\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: 0.localhost\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: 65536.localhost\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: localhost\r\nX-Whim-Port: 0\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: localhost\r\nX-Whim-Port: 65536\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: localhost\r\nX-Whim-Port: abc\r\n\r\n")]
    [InlineData("GET /echo HTTP/1.1\r\nHost: {proxy}.localhost\r\n\r\n")]
    public async Task Refuses_with_4xx(string template)
    {
        var request = template.Replace("{backend}", BackendPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{proxy}", ProxyPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var status = await RawHttp.StatusAsync(ProxyPort, request);

        status.Should().BeInRange(400, 499, request);
    }

    // Many clients at once over few shared connections, GETs, HEADs and POSTs mixed on the same connections (so
    // the fast path hands some connections over in the middle) and dev-server connections shared through the pool:
    // every answer is the one to its own request.
    [Fact]
    public async Task Concurrent_mixed_requests_each_get_their_own_answer()
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = _proxy.BaseAddress };
        var host = $"{BackendPort}.localhost";

        var answers = await Task.WhenAll(Enumerable.Range(0, 32).Select(worker => Task.Run(async () =>
        {
            var wrong = new List<string>();
            for (var i = 0; i < 40; i++)
            {
                var id = $"{worker}-{i}";
                var method = (i % 7) switch { 3 => HttpMethod.Head, 5 => HttpMethod.Post, _ => HttpMethod.Get };
                using var request = new HttpRequestMessage(method, $"id/{id}");
                request.Headers.Host = host;
                if (method == HttpMethod.Post)
                {
                    request.Content = new StringContent("body-" + id);
                }

                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var expected = method == HttpMethod.Head ? string.Empty : method == HttpMethod.Post ? $"{id}:body-{id}" : id;
                var header = response.Headers.TryGetValues("X-Id", out var values) ? values.Single() : null;
                if (response.StatusCode != HttpStatusCode.OK || body != expected || (method != HttpMethod.Post && header != id))
                {
                    wrong.Add($"{method} {id}: {(int)response.StatusCode} {header} '{body}'");
                }
            }

            return wrong;
        })));

        answers.SelectMany(a => a).Should().BeEmpty();
        var fast = _proxy.App.Services.GetRequiredService<Whim.LocalProxy.FastPath.Http1FastPath>();
        (fast.Forwarded > 0 && fast.HandedOver > 0).Should().Be(FastPath, "with the fast path on, GETs took it and the POSTs handed connections over");
    }

    [Fact]
    public async Task A_GET_takes_the_fast_path_exactly_when_it_is_on()
    {
        var fast = _proxy.App.Services.GetRequiredService<Whim.LocalProxy.FastPath.Http1FastPath>();
        using var request = new HttpRequestMessage(HttpMethod.Get, "echo");
        request.Headers.Host = $"{BackendPort}.localhost";

        await SendAsync(request);

        fast.Forwarded.Should().Be(FastPath ? 1 : 0);
    }

    [Fact]
    public async Task Large_bodies_stream_both_ways_intact()
    {
        // Larger than every buffer on the way (socket buffers, pipes' pause thresholds), so each side waits for the other.
        const int size = 24 * 1024 * 1024;
        using var download = new HttpRequestMessage(HttpMethod.Get, $"bytes/{size}");
        download.Headers.Host = $"{BackendPort}.localhost";
        using var got = await _proxy.Client.SendAsync(download, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await got.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        var piece = new byte[3000];
        int read;
        while ((read = await stream.ReadAsync(piece)) > 0)
        {
            received.Write(piece, 0, read);
        }

        got.StatusCode.Should().Be(HttpStatusCode.OK);
        received.Length.Should().Be(size);
        received.ToArray().AsSpan().SequenceEqual(Backend.Pattern(size)).Should().BeTrue("the body arrives byte for byte");

        var body = RandomNumberGenerator.GetBytes(9 * 1024 * 1024);
        using var upload = new HttpRequestMessage(HttpMethod.Post, "sha256") { Content = new ByteArrayContent(body) };
        upload.Headers.Host = $"{BackendPort}.localhost";
        using var answer = await _proxy.Client.SendAsync(upload);
        (await answer.Content.ReadAsStringAsync()).Should().Be($"{body.Length}:{Convert.ToHexString(SHA256.HashData(body))}");
    }

    [Fact]
    public async Task Clients_that_stop_reading_do_not_hold_up_the_others()
    {
        // Each stalled client fills its socket and the proxy's buffers and leaves a send waiting; there are more of
        // them than epoll loops, so any loop that blocked on one would stop serving the request below.
        var stalled = new List<System.Net.Sockets.TcpClient>();
        try
        {
            for (var i = 0; i < 2 * Environment.ProcessorCount; i++)
            {
                var client = new System.Net.Sockets.TcpClient();
                stalled.Add(client);
                await client.ConnectAsync(IPAddress.Loopback, ProxyPort);
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"GET /bytes/{64 * 1024 * 1024} HTTP/1.1\r\nHost: {BackendPort}.localhost\r\n\r\n"));
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "echo");
            request.Headers.Host = $"{BackendPort}.localhost";
            (await SendAsync(request)).GetProperty("host").GetString().Should().Be($"localhost:{BackendPort}");
        }
        finally
        {
            stalled.ForEach(static c => c.Dispose());
        }
    }

    [Fact]
    public async Task Clients_that_vanish_mid_response_leave_the_proxy_serving()
    {
        // Resets (RST) and plain closes at every point of a 1 MB response: before the head, inside the body, after a
        // second request was pipelined; what is cut must only ever be that client's connection.
        await Task.WhenAll(Enumerable.Range(0, 48).Select(i => Task.Run(async () =>
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, ProxyPort);
            var stream = client.GetStream();
            var get = $"GET /bytes/{1024 * 1024} HTTP/1.1\r\nHost: {BackendPort}.localhost\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(i % 3 == 0 ? get + get : get));
            var buffer = new byte[16 * 1024];
            for (var read = 0; read < i * 20 * 1024;) // up to 940 KB: never the whole response
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            if (i % 2 == 0)
            {
                client.Client.LingerState = new System.Net.Sockets.LingerOption(true, 0); // close with a reset
            }
        })));

        using var request = new HttpRequestMessage(HttpMethod.Get, "echo");
        request.Headers.Host = $"{BackendPort}.localhost";
        (await SendAsync(request)).GetProperty("host").GetString().Should().Be($"localhost:{BackendPort}");
        using var download = new HttpRequestMessage(HttpMethod.Get, $"bytes/{1024 * 1024}");
        download.Headers.Host = $"{BackendPort}.localhost";
        using var response = await _proxy.Client.SendAsync(download);
        (await response.Content.ReadAsByteArrayAsync()).AsSpan().SequenceEqual(Backend.Pattern(1024 * 1024)).Should().BeTrue();
        Whim.LocalProxy.Transport.EpollLoop.Faults.Should().Be(0, "no exception reached an epoll loop");
    }

    [Fact]
    public void Serves_its_TCP_endpoints_on_the_transport_configured()
    {
        var factories = _proxy.App.Services.GetServices<Microsoft.AspNetCore.Connections.IConnectionListenerFactory>();
        var epoll = factories.OfType<Whim.LocalProxy.Transport.EpollTransportFactory>().SingleOrDefault();
        (epoll is not null).Should().Be(Transport == "epoll");
        if (epoll is not null)
        {
            epoll.Listeners.Should().ContainSingle().Which.EndPoint.Should().Be(new IPEndPoint(IPAddress.Loopback, ProxyPort));
        }
    }

    [Fact]
    public async Task Serves_its_own_health_only_for_a_bare_host()
    {
        (await _proxy.Client.GetStringAsync("healthz")).Should().Contain("\"status\":\"ok\"");
    }

    private async Task<JsonElement> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await _proxy.Client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.OK, body);
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    private void WriteTable(params (int Port, string Family, string Address, bool Ready, int SecondsAfter)[] ports)
    {
        var t0 = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        var entries = ports.Select(p => new Dictionary<string, object>
        {
            ["port"] = p.Port, ["family"] = p.Family, ["address"] = p.Address, ["pid"] = 1, ["process"] = "node",
            ["command"] = "npm run dev", ["firstSeen"] = t0.AddSeconds(p.SecondsAfter), ["ready"] = p.Ready,
        });
        var path = _root.File("whim/run/ports.json");
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new { updatedAt = DateTimeOffset.UtcNow, ports = entries }));
        File.Move(temp, path, overwrite: true);
    }
}
