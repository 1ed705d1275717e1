using System.Globalization;
using System.Net;

namespace Whim.LocalProxy.Routing;

/// <summary>How the destination port was chosen, or why the request is refused.</summary>
internal enum SelectionKind
{
    /// <summary>From the Host: <c>&lt;port&gt;-&lt;anything&gt;</c> or <c>&lt;port&gt;.localhost</c>.</summary>
    Host,

    /// <summary>From <c>X-Whim-Port</c>, set by the router.</summary>
    Header,

    /// <summary>A bare host: the primary dev server (the earliest still-listening port).</summary>
    Primary,

    /// <summary>Refused with <see cref="PortSelection.Status"/>; <see cref="PortSelection.Field"/> and <see cref="PortSelection.Reason"/> say why.</summary>
    Refused,
}

/// <summary>The outcome of <see cref="PortSelector.Select"/>.</summary>
internal readonly record struct PortSelection(SelectionKind Kind, int Port, int Status, string? Field, string? Reason)
{
    public static PortSelection Refuse(int status, string field, string reason) => new(SelectionKind.Refused, 0, status, field, reason);
}

/// <summary>What a request says about where it wants to go.</summary>
internal readonly record struct PreviewRequestTarget(string Method, bool IsExtendedConnect, string RawTarget, string? Host, string? PortHeader);

/// <summary>
/// Picks the destination port of a preview request, and refuses anything that is not a plain request for one of
/// the user's ports: absolute-form targets, CONNECT, Hosts naming other hosts, ports that are not numbers in
/// 1..65535, and the runtime's own ports. Pure: the caller gives it the request's parts, the bare host names and
/// the forbidden ports, and the primary port.
/// </summary>
internal sealed class PortSelector(IReadOnlySet<string> bareHosts, IReadOnlySet<int> forbiddenPorts)
{
    /// <summary>The header the router sets.</summary>
    public const string PortHeader = "X-Whim-Port";

    /// <summary>Chooses the port of <paramref name="request"/>; <paramref name="primaryPort"/> is 0 when nothing listens.</summary>
    public PortSelection Select(PreviewRequestTarget request, int primaryPort)
    {
        if (string.Equals(request.Method, "CONNECT", StringComparison.OrdinalIgnoreCase) && !request.IsExtendedConnect)
        {
            return PortSelection.Refuse(405, "method", "CONNECT is not supported: the preview proxy is not a forward proxy");
        }

        if (!request.IsExtendedConnect && (request.RawTarget.Length == 0 || request.RawTarget[0] != '/'))
        {
            return PortSelection.Refuse(400, "request-target", "only origin-form targets (\"/path\") are accepted; absolute-form and authority-form are refused");
        }

        var hostPort = 0;
        if (string.IsNullOrEmpty(request.Host))
        {
            return PortSelection.Refuse(400, "Host", "is required");
        }

        var host = HostName(request.Host);
        if (host is null)
        {
            return PortSelection.Refuse(400, "Host", "is not a valid host[:port]");
        }

        var label = PortLabel(host);
        if (label is not null)
        {
            if (!TryParsePort(label, out hostPort, out var why))
            {
                return PortSelection.Refuse(400, "Host", why);
            }
        }
        else if (!IsBare(host))
        {
            return PortSelection.Refuse(400, "Host", $"'{host}' names another host; use <port>-<name>.<domain> or <port>.localhost");
        }

        if (request.PortHeader is not null)
        {
            if (!TryParsePort(request.PortHeader, out var headerPort, out var why))
            {
                return PortSelection.Refuse(400, PortHeader, why);
            }

            return Allow(SelectionKind.Header, headerPort);
        }

        if (hostPort != 0)
        {
            return Allow(SelectionKind.Host, hostPort);
        }

        return primaryPort == 0 ? new PortSelection(SelectionKind.Primary, 0, 0, null, null) : Allow(SelectionKind.Primary, primaryPort);
    }

    /// <summary>Reads a port: 1 to 5 ASCII digits, 1..65535.</summary>
    public static bool TryParsePort(ReadOnlySpan<char> text, out int port, out string reason)
    {
        port = 0;
        reason = string.Empty;
        if (text.IsEmpty || text.Length > 5)
        {
            reason = "must be a port number between 1 and 65535";
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                reason = "must be a port number (digits only, no host)";
                return false;
            }
        }

        port = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        if (port is < 1 or > 65535)
        {
            reason = "must be between 1 and 65535";
            port = 0;
            return false;
        }

        return true;
    }

    private PortSelection Allow(SelectionKind kind, int port) =>
        forbiddenPorts.Contains(port)
            ? PortSelection.Refuse(403, kind == SelectionKind.Header ? PortHeader : "Host", $"port {port} belongs to the runtime and is never proxied")
            : new PortSelection(kind, port, 0, null, null);

    // "3000-ww-12.preview.example" → "3000"; "3000.localhost" → "3000"; anything else → null.
    private static string? PortLabel(string host)
    {
        if (host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            var label = host[..^".localhost".Length];
            if (label.Length > 0 && IsAllDigits(label))
            {
                return label;
            }
        }

        return PortLabelOfFirst(host);
    }

    private static bool IsAllDigits(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string? PortLabelOfFirst(string host)
    {
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        var first = dot < 0 ? host : host[..dot];
        var dash = first.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || dash == first.Length - 1 || !char.IsAsciiDigit(first[0]))
        {
            return null;
        }

        return first[..dash];
    }

    private bool IsBare(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || IPAddress.TryParse(host, out _)
        || bareHosts.Contains(host);

    // The host part of a Host header, lower-cased; IPv6 literals keep no brackets. Null when malformed.
    private static string? HostName(string value)
    {
        var host = value;
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return null;
            }

            var rest = host[(close + 1)..];
            if (rest.Length > 0 && (rest[0] != ':' || !IsDigits(rest.AsSpan(1))))
            {
                return null;
            }

            return host[1..close];
        }

        var colon = host.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!IsDigits(host.AsSpan(colon + 1)))
            {
                return null;
            }

            host = host[..colon];
        }

        if (host.Length == 0 || host.Length > 253 || Uri.CheckHostName(host) is UriHostNameType.Unknown or UriHostNameType.Basic)
        {
            return null;
        }

        return host.ToLowerInvariant();
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || text.Length > 5)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
