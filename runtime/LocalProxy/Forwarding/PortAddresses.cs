using System.Globalization;

namespace Whim.LocalProxy.Forwarding;

/// <summary>
/// The strings a forwarded request needs for its port, built on the port's first request and reused after:
/// the authority the dev server sees (<c>localhost:&lt;port&gt;</c>) and YARP's destination prefix.
/// </summary>
internal sealed class PortAddresses
{
    private static readonly PortAddresses?[] s_byPort = new PortAddresses?[65536];

    private PortAddresses(int port)
    {
        Authority = "localhost:" + port.ToString(CultureInfo.InvariantCulture);
        Destination = "http://" + Authority + "/";
    }

    /// <summary><c>localhost:&lt;port&gt;</c>.</summary>
    public string Authority { get; }

    /// <summary><c>http://localhost:&lt;port&gt;/</c>.</summary>
    public string Destination { get; }

    public static PortAddresses For(int port) => s_byPort[port] ??= new PortAddresses(port);
}
