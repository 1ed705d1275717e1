using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Whim.LocalProxy.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace Whim.LocalProxy.Forwarding;

/// <summary>
/// The proxy itself, as middleware: select the port (<see cref="PortSelector"/>), refuse what must be refused,
/// answer "not listening yet" for ports that do not answer, and stream everything else (HTTP/1.1, HTTP/2,
/// WebSocket upgrades) to the dev server on loopback through YARP's <see cref="IHttpForwarder"/>. A bare-host
/// request for <c>/healthz</c>, <c>/readyz</c> or <c>/metrics</c> is the proxy's own endpoint.
/// </summary>
internal sealed partial class PreviewProxy
{
    private static readonly Meter s_meter = new("Whim.LocalProxy");
    private static readonly Counter<long> s_requests = s_meter.CreateCounter<long>("whim_localproxy_requests_total", description: "Requests by outcome");

    private readonly IHttpForwarder _forwarder;
    private readonly PortTableWatcher _table;
    private readonly PortSelector _selector;
    private readonly HttpMessageInvoker _invoker;
    private readonly ForwarderRequestConfig _config;
    private readonly PreviewTransformer _transformer = new();
    private readonly byte[]? _routerKey;
    private readonly ILogger<PreviewProxy> _logger;

    public PreviewProxy(IHttpForwarder forwarder, PortTableWatcher table, PortSelector selector, HttpMessageInvoker invoker, ForwarderRequestConfig config, RouterKey routerKey, ILogger<PreviewProxy> logger)
    {
        _forwarder = forwarder;
        _table = table;
        _selector = selector;
        _invoker = invoker;
        _config = config;
        _routerKey = routerKey.Value is { Length: > 0 } key ? Encoding.UTF8.GetBytes(key) : null;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/";
        var extendedConnect = context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect ?? false;
        var portHeader = request.Headers.TryGetValue(PortSelector.PortHeader, out var header) ? header.ToString() : null;
        var routes = _table.Current;
        var selection = _selector.Select(new PreviewRequestTarget(request.Method, extendedConnect, rawTarget, request.Headers.Host.ToString(), portHeader), routes.PrimaryPort);

        if (selection.Kind == SelectionKind.Refused)
        {
            s_requests.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
            Log.Refused(_logger, selection.Status, selection.Field!, selection.Reason!);
            await ProxyResponses.ProblemAsync(context, selection.Status, selection.Field!, selection.Reason!);
            return;
        }

        if (selection.Kind == SelectionKind.Primary && IsOwnEndpoint(request.Path))
        {
            await next(context);
            return;
        }

        var port = selection.Port;
        if (port == context.Connection.LocalPort && port != 0)
        {
            await ProxyResponses.ProblemAsync(context, 403, selection.Kind == SelectionKind.Header ? PortSelector.PortHeader : "Host", "the proxy does not forward to itself");
            return;
        }

        if (port == 0)
        {
            s_requests.Add(1, new KeyValuePair<string, object?>("outcome", "not-listening"));
            await ProxyResponses.NotListeningAsync(context, 0, "Start a dev server in the container and it will appear here.");
            return;
        }

        var route = routes.Find(port);
        if (routes.Loaded && (route is null || !route.Ready))
        {
            s_requests.Add(1, new KeyValuePair<string, object?>("outcome", "not-listening"));
            await ProxyResponses.NotListeningAsync(context, port, route is null ? $"Nothing listens on port {port} yet." : $"Port {port} is listening but does not answer yet.");
            return;
        }

        var target = route?.Target ?? System.Net.IPAddress.Loopback;
        context.Features.Set(new PreviewTarget(port, IsFromRouter(request)));
        var error = await _forwarder.SendAsync(context, PortAddresses.For(port).Destination(target), _invoker, _config, _transformer);
        if (error == ForwarderError.None)
        {
            s_requests.Add(1, new KeyValuePair<string, object?>("outcome", "forwarded"));
            return;
        }

        s_requests.Add(1, new KeyValuePair<string, object?>("outcome", "error"));
        Log.ForwardFailed(_logger, port, error.ToString());
        if (!context.Response.HasStarted && error is ForwarderError.Request or ForwarderError.RequestTimedOut)
        {
            context.Response.Clear();
            await ProxyResponses.NotListeningAsync(context, port, $"Port {port} did not accept the connection.");
        }
    }

    /// <summary>Counts a request the HTTP/1.1 fast path forwarded (the same metric as this path's).</summary>
    public static void CountForwarded() => s_requests.Add(1, new KeyValuePair<string, object?>("outcome", "forwarded"));

    private static bool IsOwnEndpoint(PathString path) =>
        path.Equals("/healthz", StringComparison.Ordinal) || path.Equals("/readyz", StringComparison.Ordinal) || path.Equals("/metrics", StringComparison.Ordinal);

    private bool IsFromRouter(HttpRequest request)
    {
        if (_routerKey is null || !request.Headers.TryGetValue(PreviewTransformer.RouterKeyHeader, out var sent) || sent.Count != 1)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent[0] ?? string.Empty), _routerKey);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "PreviewRequestRefused", Level = LogLevel.Information, Message = "Refused with {Status}: {Field}: {Reason}")]
        public static partial void Refused(ILogger logger, int status, string field, string reason);

        [LoggerMessage(EventId = 2, EventName = "PreviewForwardFailed", Level = LogLevel.Information, Message = "Forwarding to port {Port} failed: {Error}")]
        public static partial void ForwardFailed(ILogger logger, int port, string error);
    }
}

/// <summary>The router's shared secret (<c>WHIM_LOCALPROXY__ROUTERKEY</c>), if any.</summary>
internal sealed record RouterKey(string? Value)
{
    public override string ToString() => Value is null ? "(none)" : "***";
}
