using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Whim.LocalProxy.Forwarding;

/// <summary>Where one request goes and whether it came from the router; set by the proxy, read by the transformer.</summary>
internal sealed record PreviewTarget(int Port, bool FromRouter);

/// <summary>
/// Shapes the request so the dev server sees what it expects for its own preview and the client's view survives in
/// <c>X-Forwarded-*</c>: Host becomes <c>localhost:&lt;port&gt;</c> (dev servers such as Vite refuse other Hosts to
/// stop DNS rebinding), a same-origin Origin becomes <c>http://localhost:&lt;port&gt;</c> (a cross-site Origin is
/// passed on untouched so the dev server can still refuse it), the router's headers are removed, and client-sent
/// forwarding headers are kept only from the router. On the way back, a Location pointing at
/// <c>localhost:&lt;port&gt;</c> is made relative so redirects stay on the preview URL.
/// </summary>
internal sealed class PreviewTransformer : HttpTransformer
{
    public const string RouterKeyHeader = "X-Whim-Router-Key";
    private const string ForwardedFor = "X-Forwarded-For";
    private const string ForwardedHost = "X-Forwarded-Host";
    private const string ForwardedProto = "X-Forwarded-Proto";
    private const string ForwardedPrefix = "X-Forwarded-Prefix";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var target = httpContext.Features.GetRequiredFeature<PreviewTarget>();
        var request = httpContext.Request;
        var headers = proxyRequest.Headers;
        var authority = PortAddresses.For(target.Port).Authority;
        headers.Host = authority;
        headers.Remove(Routing.PortSelector.PortHeader);
        headers.Remove(RouterKeyHeader);

        var trusted = target.FromRouter;
        var publicHost = (trusted ? First(request.Headers[ForwardedHost]) : null) ?? request.Host.Value ?? string.Empty;
        var publicProto = (trusted ? First(request.Headers[ForwardedProto]) : null) ?? request.Scheme;
        var priorFor = trusted ? request.Headers[ForwardedFor].ToString() : null;
        var prefix = trusted ? First(request.Headers[ForwardedPrefix]) : null;

        var origin = First(request.Headers.Origin);
        if (origin is not null && PreviewHeaders.IsOwnOrigin(origin, publicHost))
        {
            headers.Remove("Origin");
            headers.TryAddWithoutValidation("Origin", "http://" + authority);
        }

        headers.Remove(ForwardedFor);
        headers.Remove(ForwardedHost);
        headers.Remove(ForwardedProto);
        headers.Remove(ForwardedPrefix);
        headers.Remove("Forwarded");
        var client = PreviewHeaders.ClientAddress(httpContext.Connection.RemoteIpAddress);
        headers.TryAddWithoutValidation(ForwardedFor, string.IsNullOrEmpty(priorFor) ? client : priorFor + ", " + client);
        headers.TryAddWithoutValidation(ForwardedHost, publicHost);
        headers.TryAddWithoutValidation(ForwardedProto, publicProto);
        if (!string.IsNullOrEmpty(prefix))
        {
            headers.TryAddWithoutValidation(ForwardedPrefix, prefix);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        // The whole value: a URL may hold commas.
        var location = httpContext.Response.Headers.Location is { Count: 1 } locations ? locations[0] : null;
        if (location is not null && PreviewHeaders.RelativeLocation(location, httpContext.Features.GetRequiredFeature<PreviewTarget>().Port) is { } relative)
        {
            httpContext.Response.Headers.Location = relative;
        }

        return result;
    }

    private static string? First(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 0 ? null : PreviewHeaders.First(values[0]);
}
