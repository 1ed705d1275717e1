using System.Globalization;
using Microsoft.Extensions.Options;
using Whim.Runtime.Configuration;

namespace Whim.LocalProxy;

/// <summary>Settings of the local proxy (<c>WHIM_LOCALPROXY__*</c>).</summary>
internal sealed class LocalProxyOptions
{
    /// <summary>The runtime's own ports, never proxied: GenerationProxy, LocalProxy, BackupAgent, PortMonitor, control API.</summary>
    public static readonly int[] RuntimePorts = [3001, 8080, 8081, 8082, 5080];

    /// <summary>
    /// The shared secret by which the router identifies itself in <c>X-Whim-Router-Key</c>. Only requests carrying
    /// it have their <c>X-Forwarded-*</c> headers trusted. Unset: no client is trusted.
    /// </summary>
    public string? RouterKey { get; set; }

    /// <summary>More host names that count as a bare host (comma-separated), e.g. the container's host name.</summary>
    public string? BareHosts { get; set; }

    /// <summary>More ports never to proxy (comma-separated).</summary>
    public string? ForbiddenPorts { get; set; }

    /// <summary>
    /// <c>Http1AndHttp2</c> (default: HTTP/1.1 on cleartext, both over TLS by ALPN) or <c>Http2</c> (cleartext HTTP/2
    /// with prior knowledge only, for a router that speaks h2c).
    /// </summary>
    public string Protocols { get; set; } = "Http1AndHttp2";

    /// <summary>How often the port table is re-read even without a file-system event.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a connection to a dev server may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a proxied request or WebSocket may stay silent before it is cut.</summary>
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// <c>epoll</c> (default): the proxy's TCP endpoints run on epoll loops of its own (one thread per core, see
    /// <c>Transport/</c>), where requests are read, handled and answered without a hand-off; <c>sockets</c>:
    /// Kestrel's own transport on .NET's socket engine.
    /// </summary>
    public string Transport { get; set; } = "epoll";

    /// <summary>
    /// With <see cref="Transport"/> <c>sockets</c>: runs socket completions and request processing on the socket engine's I/O thread instead of handing each
    /// to the thread pool (default on). The proxy never blocks a thread, and every hand-off was a wake-up and a
    /// context switch: on 2 cores in a VM they cost more than the forwarding itself (see bench/localproxy).
    /// </summary>
    public bool InlineIo { get; set; } = true;

    /// <summary>
    /// Forwards plain HTTP/1.1 GET and HEAD requests on a fast path of its own (raw loopback sockets, no
    /// <c>HttpContext</c> or YARP pipeline per request) and everything else through YARP (default on). See the README.
    /// </summary>
    public bool FastPath { get; set; } = true;

    /// <summary>On SIGTERM, how long in-flight requests get to finish.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Parses a comma-separated list of ports; null when one is malformed.</summary>
    public static HashSet<int>? ParsePorts(string? text)
    {
        var ports = new HashSet<int>();
        foreach (var part in (text ?? string.Empty).Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                return null;
            }

            ports.Add(port);
        }

        return ports;
    }
}

/// <summary>Checks <see cref="LocalProxyOptions"/>, naming each wrong setting.</summary>
internal sealed class LocalProxyOptionsValidator : IValidateOptions<LocalProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalProxyOptions options)
    {
        var errors = new OptionsErrors();
        errors.When(options.RouterKey is { Length: > 0 and < 16 }, "WHIM_LOCALPROXY__ROUTERKEY", "must be at least 16 characters");
        errors.When(LocalProxyOptions.ParsePorts(options.ForbiddenPorts) is null, "WHIM_LOCALPROXY__FORBIDDENPORTS", "must be a comma-separated list of ports between 1 and 65535");
        errors.When(options.Protocols is not ("Http1AndHttp2" or "Http2"), "WHIM_LOCALPROXY__PROTOCOLS", "must be Http1AndHttp2 or Http2");
        errors.When(options.Transport is not ("epoll" or "sockets"), "WHIM_LOCALPROXY__TRANSPORT", "must be epoll or sockets");
        errors.When(options.RefreshInterval < TimeSpan.FromMilliseconds(10), "WHIM_LOCALPROXY__REFRESHINTERVAL", "must be at least 10 ms");
        errors.When(options.ConnectTimeout <= TimeSpan.Zero, "WHIM_LOCALPROXY__CONNECTTIMEOUT", "must be positive");
        errors.When(options.ActivityTimeout <= TimeSpan.Zero, "WHIM_LOCALPROXY__ACTIVITYTIMEOUT", "must be positive");
        errors.When(options.DrainTimeout < TimeSpan.Zero, "WHIM_LOCALPROXY__DRAINTIMEOUT", "must not be negative");
        return errors.ToResult();
    }
}
