using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Whim.Bench.LocalProxyPeer;
using Yarp.ReverseProxy.Configuration;

// Usage: Whim.Bench.LocalProxyPeer yarp <listen-url> <upstream-url>
//        Whim.Bench.LocalProxyPeer kestrel <listen-url>
//        Whim.Bench.LocalProxyPeer relay <listen-port> <upstream-port>
// yarp: stock YARP, configured in code (LoadFromMemory) with one catch-all route to one destination and nothing
// changed from the defaults (X-Forwarded-* added, upstream keep-alive, server GC, thread-pool I/O).
// kestrel: answers the same page the bench's backend answers, with no forwarding: the floor of a Kestrel server.
// relay: not a proxy but the floor of any .NET one: raw sockets with LocalProxy's socket settings (inline completions),
// one upstream connection per client connection, and no HTTP at all: it assumes one read is one whole request and one
// read one whole response, which holds for wrk's small GETs and the bench backend's 65-byte page and nothing else.
// epoll-relay: the same relay on an I/O loop of its own instead of .NET's socket engine: one thread per core, each with
// its own SO_REUSEPORT listener and a level-triggered epoll set, receiving only once epoll says a socket is readable
// (as nginx does), so no receive ever finds nothing. What a .NET process costs with the socket layer nginx has.
if (args.Length < 2 || (args[0] is "yarp" or "relay" or "epoll-relay" && args.Length < 3) || args[0] is not ("yarp" or "kestrel" or "relay" or "epoll-relay"))
{
    Console.Error.WriteLine("usage: Whim.Bench.LocalProxyPeer yarp <listen-url> <upstream-url> | kestrel <listen-url> | relay|epoll-relay <listen-port> <upstream-port>");
    return 2;
}

if (args[0] == "epoll-relay")
{
    EpollRelay.Run(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
    return 0;
}

if (args[0] == "relay")
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
    await Relay(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
    return 0;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.UseUrls(args[1]);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
if (args[0] == "yarp")
{
    builder.Services.AddReverseProxy().LoadFromMemory(
        [new RouteConfig { RouteId = "all", ClusterId = "dev", Match = new RouteMatch { Path = "{**catch-all}" } }],
        [new ClusterConfig { ClusterId = "dev", Destinations = new Dictionary<string, DestinationConfig> { ["dev"] = new() { Address = args[2] } } }]);
}

var app = builder.Build();
if (args[0] == "yarp")
{
    app.MapReverseProxy();
}
else
{
    var page = Encoding.ASCII.GetBytes("<!doctype html><title>dev</title><p>hello from the dev server</p>");
    app.Run(context =>
    {
        context.Response.ContentType = "text/html";
        context.Response.ContentLength = page.Length;
        return context.Response.Body.WriteAsync(page).AsTask();
    });
}

await app.RunAsync();
return 0;

static async Task Relay(int listenPort, int upstreamPort)
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, listenPort));
    listener.Listen(512);
    while (true)
    {
        var client = await listener.AcceptAsync();
        _ = Task.Run(async () =>
        {
            using var downstream = client;
            using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            downstream.NoDelay = true;
            await upstream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, upstreamPort));
            var request = new byte[8192];
            var response = new byte[8192];
            int read;
            while ((read = await downstream.ReceiveAsync(request)) > 0)
            {
                await upstream.SendAsync(request.AsMemory(0, read));
                if ((read = await upstream.ReceiveAsync(response)) <= 0)
                {
                    return;
                }

                await downstream.SendAsync(response.AsMemory(0, read));
            }
        });
    }
}
