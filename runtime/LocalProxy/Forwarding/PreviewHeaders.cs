using System.Net;

namespace Whim.LocalProxy.Forwarding;

/// <summary>
/// The header decisions both forwarding paths make (YARP's <see cref="PreviewTransformer"/> and the HTTP/1.1 fast
/// path): whether an Origin is the preview's own, the first item of a forwarded list, the client address as written
/// in <c>X-Forwarded-For</c>, and the relative form of a redirect to the dev server itself.
/// </summary>
internal static class PreviewHeaders
{
    private static readonly string s_loopbackV4 = IPAddress.Loopback.ToString();
    private static readonly string s_loopbackV6 = IPAddress.IPv6Loopback.ToString();

    /// <summary>True when <paramref name="origin"/> is the preview's own origin (its authority is the public Host).</summary>
    public static bool IsOwnOrigin(string origin, string publicHost) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var originUri) && string.Equals(originUri.Authority, publicHost, StringComparison.OrdinalIgnoreCase);

    /// <summary>The first item of a comma-separated header value, trimmed; null when there is none.</summary>
    public static string? First(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var comma = value.IndexOf(',', StringComparison.Ordinal);
        return (comma < 0 ? value : value[..comma]).Trim();
    }

    /// <summary>The client address as <c>X-Forwarded-For</c> carries it.</summary>
    public static string ClientAddress(IPAddress? address) => address switch
    {
        null => "unknown",
        _ when address.Equals(IPAddress.Loopback) => s_loopbackV4,
        _ when address.Equals(IPAddress.IPv6Loopback) => s_loopbackV6,
        _ when address.IsIPv4MappedToIPv6 => address.MapToIPv4().ToString(),
        _ => address.ToString(),
    };

    /// <summary>
    /// The relative form (<c>/path?query#fragment</c>) of a <c>Location</c> that points at the dev server itself
    /// (<c>http(s)://localhost:&lt;port&gt;/…</c> or a loopback address), so redirects stay on the preview URL; null
    /// when the Location points elsewhere and passes untouched.
    /// </summary>
    public static string? RelativeLocation(string location, int port) =>
        Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Port == port
        && (uri.IsLoopback || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            ? uri.PathAndQuery + uri.Fragment
            : null;
}
