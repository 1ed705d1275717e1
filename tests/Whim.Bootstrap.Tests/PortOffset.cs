using System.Globalization;
using Whim.Bootstrap.Supervision;

namespace Whim.Bootstrap.Tests;

/// <summary>
/// A random <c>--port-offset</c> for tests that start bootstrap's services on their fixed ports (platform port plus the
/// offset), chosen so every such port lies below the kernel's ephemeral range. A port inside it can be the local end of
/// any outgoing connection on the machine (a parallel test project opens thousands); Kestrel then cannot bind it and
/// the service exits (3, "cannot listen") before it is ready.
/// </summary>
internal static class PortOffset
{
    private const int Lowest = 10000;
    private const string RangeFile = "/proc/sys/net/ipv4/ip_local_port_range";

    /// <summary>The highest platform port bootstrap starts a service on.</summary>
    public static int HighestBasePort { get; } = ServiceDefinition.Runtime(0).Append(ServiceDefinition.Control(0)).Max(s => s.Port);

    /// <summary>An offset that keeps this run clear of the platform ports, of other runs and of the ephemeral range.</summary>
    public static int Next() => Next(EphemeralRangeStart(), Random.Shared);

    public static int Next(int ephemeralStart, Random random)
    {
        var highest = ephemeralStart - 1 - HighestBasePort;
        return highest > Lowest
            ? random.Next(Lowest, highest + 1)
            : throw new InvalidOperationException($"the ephemeral port range starts at {ephemeralStart} ({RangeFile}): no room below it for the services' ports");
    }

    /// <summary>The first port of the ephemeral range (Linux's default when the file cannot be read).</summary>
    public static int EphemeralRangeStart() => ParseRangeStart(File.Exists(RangeFile) ? File.ReadAllText(RangeFile) : "");

    // "32768\t60999\n"
    public static int ParseRangeStart(string text)
    {
        var first = text.Split(['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : 32768;
    }
}
