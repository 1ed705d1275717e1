using System.Text;
using Yarp.ReverseProxy.Configuration;

// Usage: Whim.Bench.LocalProxyPeer yarp <listen-url> <upstream-url>
//        Whim.Bench.LocalProxyPeer kestrel <listen-url>
// yarp: stock YARP, configured in code (LoadFromMemory) with one catch-all route to one destination and nothing
// changed from the defaults (X-Forwarded-* added, upstream keep-alive, server GC, thread-pool I/O).
// kestrel: answers the same page the bench's backend answers, with no forwarding: the floor of a Kestrel server.
if (args.Length < 2 || (args[0] == "yarp" && args.Length < 3) || args[0] is not ("yarp" or "kestrel"))
{
    Console.Error.WriteLine("usage: Whim.Bench.LocalProxyPeer yarp <listen-url> <upstream-url> | kestrel <listen-url>");
    return 2;
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
