using System.Globalization;
using System.Net;

namespace Whim.LocalProxy.Forwarding;

/// <summary>
/// The strings a forwarded request needs for its port, built on the port's first request and reused after:
/// the authority the dev server sees (<c>localhost:&lt;port&gt;</c>) and YARP's destination prefixes, which name the
/// loopback address to connect to (SocketsHttpHandler pools connections by it and hands it to
/// <see cref="LoopbackConnector"/>).
/// </summary>
internal sealed class PortAddresses
{
    private static readonly PortAddresses?[] s_byPort = new PortAddresses?[65536];

    private readonly string _port;
    private readonly string _v4;
    private readonly string _v6;

    private PortAddresses(int port)
    {
        _port = port.ToString(CultureInfo.InvariantCulture);
        Authority = "localhost:" + _port;
        HostLine = System.Text.Encoding.ASCII.GetBytes("Host: " + Authority + "\r\n");
        OriginLine = System.Text.Encoding.ASCII.GetBytes("Origin: http://" + Authority + "\r\n");
        _v4 = "http://127.0.0.1:" + _port + "/";
        _v6 = "http://[::1]:" + _port + "/";
    }

    /// <summary><c>localhost:&lt;port&gt;</c>.</summary>
    public string Authority { get; }

    /// <summary><c>Host: localhost:&lt;port&gt;</c> and CRLF, for the HTTP/1.1 fast path.</summary>
    public byte[] HostLine { get; }

    /// <summary><c>Origin: http://localhost:&lt;port&gt;</c> and CRLF, for the HTTP/1.1 fast path.</summary>
    public byte[] OriginLine { get; }

    public static PortAddresses For(int port) => s_byPort[port] ??= new PortAddresses(port);

    /// <summary><c>http://&lt;target&gt;:&lt;port&gt;/</c>, e.g. <c>http://127.0.0.1:5173/</c> or <c>http://[::1]:5173/</c>.</summary>
    public string Destination(IPAddress target)
    {
        if (target.Equals(IPAddress.Loopback))
        {
            return _v4;
        }

        if (target.Equals(IPAddress.IPv6Loopback))
        {
            return _v6;
        }

        var host = target.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + target + "]" : target.ToString();
        return "http://" + host + ":" + _port + "/";
    }
}
