using System.Globalization;
using Microsoft.Extensions.Options;
using Whim.Runtime.Configuration;

namespace Whim.PortMonitor;

/// <summary>Settings of the port monitor (<c>WHIM_PORTMONITOR__*</c>).</summary>
internal sealed class PortMonitorOptions
{
    /// <summary>The runtime's own ports, never listed: GenerationProxy, LocalProxy, BackupAgent, PortMonitor, control API.</summary>
    public static readonly int[] RuntimePorts = [3001, 8080, 8081, 8082, 5080];

    /// <summary>How often <c>/proc/net/tcp{,6}</c> is read.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Where the LISTEN sockets are read: <c>auto</c> (netlink <c>sock_diag</c> when the proc root is the real
    /// <c>/proc</c> and the kernel answers it, else <c>/proc/net/tcp{,6}</c>), <c>sock_diag</c> or <c>proc</c>.
    /// </summary>
    public string Source { get; set; } = "auto";

    /// <summary>More ports to ignore, comma-separated (e.g. a database the image starts).</summary>
    public string? IgnoredPorts { get; set; }

    /// <summary>
    /// When set, only sockets of this process's descendants are listed (not of the process itself). Bootstrap leaves
    /// it unset (the container is the agent's); tests set it to their own pid because the machine's other listeners,
    /// and the servers the test hosts in-process, are not the dev servers under test.
    /// </summary>
    public int? OwnerPidRoot { get; set; }

    /// <summary>
    /// When a listener counts as ready: <c>listen</c> (default; as soon as it listens, nothing connects to it) or
    /// <c>http</c> (after a probe connection's <c>GET /</c> is answered; only for containers whose listeners all
    /// speak HTTP, because single-client servers such as test-runner channels take the probe for their client).
    /// </summary>
    public string Probe { get; set; } = "listen";

    /// <summary>How long the readiness probe waits for an answer after the connection is accepted.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long to wait before looking again for the owner of a socket whose process could not be found.</summary>
    public TimeSpan UnresolvedRetry { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>First wait before retrying registration after the control API failed; doubles up to <see cref="RegistrationMaxDelay"/>.</summary>
    public TimeSpan RegistrationRetry { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between registration retries.</summary>
    public TimeSpan RegistrationMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Parses <see cref="IgnoredPorts"/>; null with a reason when it is malformed.</summary>
    public static HashSet<int>? ParsePorts(string? text, out string? error)
    {
        error = null;
        var ports = new HashSet<int>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return ports;
        }

        foreach (var part in text.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                error = $"'{part}' is not a port between 1 and 65535";
                return null;
            }

            ports.Add(port);
        }

        return ports;
    }
}

/// <summary>Checks <see cref="PortMonitorOptions"/>, naming each wrong setting.</summary>
internal sealed class PortMonitorOptionsValidator : IValidateOptions<PortMonitorOptions>
{
    public ValidateOptionsResult Validate(string? name, PortMonitorOptions options)
    {
        var errors = new OptionsErrors();
        errors.When(options.Interval < TimeSpan.FromMilliseconds(5) || options.Interval > TimeSpan.FromMinutes(1), "WHIM_PORTMONITOR__INTERVAL", "must be between 5 ms and 1 minute");
        if (PortMonitorOptions.ParsePorts(options.IgnoredPorts, out var error) is null)
        {
            errors.Add("WHIM_PORTMONITOR__IGNOREDPORTS", error!);
        }

        errors.When(options.Probe is not ("listen" or "http"), "WHIM_PORTMONITOR__PROBE", "must be listen or http");
        errors.When(options.Source is not ("auto" or "sock_diag" or "proc"), "WHIM_PORTMONITOR__SOURCE", "must be auto, sock_diag or proc");
        errors.When(options.OwnerPidRoot is <= 0, "WHIM_PORTMONITOR__OWNERPIDROOT", "must be a positive pid");
        errors.When(options.ProbeTimeout <= TimeSpan.Zero, "WHIM_PORTMONITOR__PROBETIMEOUT", "must be positive");
        errors.When(options.UnresolvedRetry <= TimeSpan.Zero, "WHIM_PORTMONITOR__UNRESOLVEDRETRY", "must be positive");
        errors.When(options.RegistrationRetry <= TimeSpan.Zero, "WHIM_PORTMONITOR__REGISTRATIONRETRY", "must be positive");
        errors.When(options.RegistrationMaxDelay < options.RegistrationRetry, "WHIM_PORTMONITOR__REGISTRATIONMAXDELAY", "must be at least the registration retry");
        return errors.ToResult();
    }
}
