using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Whim.LocalProxy.FastPath;
using Whim.LocalProxy.Forwarding;
using Whim.LocalProxy.Routing;
using Whim.LocalProxy.Transport;
using Whim.Runtime.Configuration;
using Whim.Runtime.Hosting;
using Whim.Runtime.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Whim.LocalProxy;

/// <summary>Builds the local-proxy host: what Program.cs runs and what the tests start on port 0.</summary>
public static class LocalProxyApp
{
    /// <summary>Who this process is and where it listens by default.</summary>
    public static readonly WhimService Service = new("local-proxy", 8080, ListenOnAllInterfaces: true);

    /// <summary>Builds the application from command-line arguments and the environment.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WhimHost.CreateWebBuilder(Service, args);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Cleartext endpoints speak one of HTTP/1.1 or HTTP/2 (prior knowledge), never both; TLS endpoints negotiate.
            var protocols = builder.Configuration["LOCALPROXY:PROTOCOLS"];
            var chosen = string.Equals(protocols, "Http2", StringComparison.OrdinalIgnoreCase) ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2;
            var fastPath = builder.Configuration.GetValue("LOCALPROXY:FASTPATH", true) && chosen != HttpProtocols.Http2;
            kestrel.ConfigureEndpointDefaults(endpoint =>
            {
                endpoint.Protocols = chosen;
                if (fastPath)
                {
                    // Connection middleware, ahead of Kestrel's HTTP layer: plain HTTP/1.1 GET and HEAD are forwarded
                    // there, and the connection is handed to Kestrel (and YARP below) from the first request it does not take.
                    endpoint.Use(next =>
                    {
                        var fast = endpoint.ApplicationServices.GetRequiredService<Http1FastPath>();
                        return connection => fast.OnConnectionAsync(connection, next);
                    });
                }
            });
        });
        var inlineIo = builder.Configuration.GetValue("LOCALPROXY:INLINEIO", true);
        builder.WebHost.UseSockets(sockets =>
        {
            sockets.UnsafePreferInlineScheduling = inlineIo;
            // Read into a buffer at once instead of a zero-byte read first: one receive call per request fewer, for
            // 4 KB of pooled memory per idle connection (2 MB for 500).
            sockets.WaitForDataBeforeAllocatingBuffer = false;
        });
        if (string.Equals(builder.Configuration["LOCALPROXY:TRANSPORT"] ?? "epoll", "epoll", StringComparison.Ordinal))
        {
            // Registered after Kestrel's socket transport, so asked first: it binds every TCP endpoint (Unix sockets stay with Kestrel's).
            builder.Services.AddSingleton<IConnectionListenerFactory, EpollTransportFactory>();
        }

        builder.Services.AddLocalProxy(builder.Configuration);
        var app = builder.Build();
        var proxy = app.Services.GetRequiredService<PreviewProxy>();
        app.Use((HttpContext context, RequestDelegate next) => proxy.InvokeAsync(context, next));
        // Routing only for the proxy's own endpoints: left implicit, it would run first and match every forwarded request.
        app.UseRouting();
        app.UseWhimDefaults();
        return app;
    }

    /// <summary>Registers the options, the port-table watcher, the port selector and the forwarder.</summary>
    internal static IServiceCollection AddLocalProxy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<LocalProxyOptions, LocalProxyOptionsValidator>().Bind(configuration.GetSection("LOCALPROXY"));
        services.AddOptions<HostOptions>().Configure<IOptions<LocalProxyOptions>>(static (host, proxy) => host.ShutdownTimeout = proxy.Value.DrainTimeout);
        services.AddHttpForwarder();
        services.AddSingleton(sp => new PortTableLocation(sp.GetRequiredService<WhimPaths>().Resolve("PORT_TABLE", "/whim/run/ports.json")));
        services.AddSingleton<PortTableWatcher>();
        services.AddHostedService(static sp => sp.GetRequiredService<PortTableWatcher>());
        services.AddSingleton(static sp =>
        {
            var key = sp.GetRequiredService<IOptions<LocalProxyOptions>>().Value.RouterKey;
            if (!string.IsNullOrEmpty(key))
            {
                SecretRedactor.Shared.Register(key);
            }

            return new RouterKey(key);
        });
        services.AddSingleton(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<LocalProxyOptions>>().Value;
            var forbidden = new HashSet<int>(LocalProxyOptions.RuntimePorts);
            forbidden.UnionWith(LocalProxyOptions.ParsePorts(options.ForbiddenPorts) ?? []);
            var bare = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { Environment.MachineName };
            foreach (var host in (options.BareHosts ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                bare.Add(host);
            }

            return new PortSelector(bare, forbidden);
        });
        services.AddSingleton(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<LocalProxyOptions>>().Value;
            return new HttpMessageInvoker(new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                EnableMultipleHttp2Connections = true,
                ActivityHeadersPropagator = null,
                ConnectTimeout = options.ConnectTimeout,
                ConnectCallback = LoopbackConnector.ConnectAsync,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            });
        });
        services.AddSingleton(static sp => new ForwarderRequestConfig
        {
            ActivityTimeout = sp.GetRequiredService<IOptions<LocalProxyOptions>>().Value.ActivityTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        });
        services.AddSingleton<PreviewProxy>();
        services.AddSingleton<Http1FastPath>();
        return services;
    }
}
