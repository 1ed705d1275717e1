using System.Net;
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

    // The loopback client address, as it repeats on nearly every request.
    private static readonly string s_loopbackV4 = IPAddress.Loopback.ToString();
    private static readonly string s_loopbackV6 = IPAddress.IPv6Loopback.ToString();

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
        if (origin is not null && Uri.TryCreate(origin, UriKind.Absolute, out var originUri)
            && string.Equals(originUri.Authority, publicHost, StringComparison.OrdinalIgnoreCase))
        {
            headers.Remove("Origin");
            headers.TryAddWithoutValidation("Origin", "http://" + authority);
        }

        headers.Remove(ForwardedFor);
        headers.Remove(ForwardedHost);
        headers.Remove(ForwardedProto);
        headers.Remove(ForwardedPrefix);
        headers.Remove("Forwarded");
        var client = ClientAddress(httpContext.Connection.RemoteIpAddress);
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
        var location = First(httpContext.Response.Headers.Location);
        if (location is not null && Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            && uri.Port == httpContext.Features.GetRequiredFeature<PreviewTarget>().Port
            && (uri.IsLoopback || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)))
        {
            httpContext.Response.Headers.Location = uri.PathAndQuery + uri.Fragment;
        }

        return result;
    }

    private static string ClientAddress(IPAddress? address) => address switch
    {
        null => "unknown",
        _ when address.Equals(IPAddress.Loopback) => s_loopbackV4,
        _ when address.Equals(IPAddress.IPv6Loopback) => s_loopbackV6,
        _ => address.ToString(),
    };

    private static string? First(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var value = values[0];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var comma = value.IndexOf(',', StringComparison.Ordinal);
        return (comma < 0 ? value : value[..comma]).Trim();
    }
}
