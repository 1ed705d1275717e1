using System.Net;
using System.Text.Json.Serialization;

namespace Whim.LocalProxy.Routing;

/// <summary>One entry of the port table file, as far as routing needs it (the file is PortMonitor's; see its README).</summary>
internal sealed record PortTableEntry(
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("family")] string? Family,
    [property: JsonPropertyName("address")] string? Address,
    [property: JsonPropertyName("firstSeen")] DateTimeOffset FirstSeen,
    [property: JsonPropertyName("ready")] bool Ready);

/// <summary>The port table file: <c>{"updatedAt":"…","ports":[…]}</c>.</summary>
internal sealed record PortTableFile(
    [property: JsonPropertyName("ports")] IReadOnlyList<PortTableEntry>? Ports);

[JsonSerializable(typeof(PortTableFile))]
internal sealed partial class LocalProxyJson : JsonSerializerContext;

/// <summary>Where a port is, for the forwarder: ready or still starting, and which loopback address reaches it.</summary>
internal sealed record Route(int Port, bool Ready, IPAddress Target);

/// <summary>
/// An immutable routing snapshot built from the port table: each port's route and the primary dev server (the
/// earliest still-listening ready port). <see cref="Loaded"/> is false while no table has been read, in which
/// case the forwarder tries any port and lets the connection decide.
/// </summary>
internal sealed class RouteTable
{
    public static readonly RouteTable NotLoaded = new(new Dictionary<int, Route>(), 0, loaded: false);

    private readonly Dictionary<int, Route> _routes;

    private RouteTable(Dictionary<int, Route> routes, int primaryPort, bool loaded)
    {
        _routes = routes;
        PrimaryPort = primaryPort;
        Loaded = loaded;
    }

    /// <summary>The port a bare host goes to; 0 when nothing is ready.</summary>
    public int PrimaryPort { get; }

    /// <summary>True once a port table file was read.</summary>
    public bool Loaded { get; }

    /// <summary>The number of ports.</summary>
    public int Count => _routes.Count;

    /// <summary>The route of <paramref name="port"/>, if the table lists it.</summary>
    public Route? Find(int port) => _routes.GetValueOrDefault(port);

    /// <summary>Builds the snapshot from the file's entries.</summary>
    public static RouteTable From(IReadOnlyList<PortTableEntry> entries)
    {
        var routes = new Dictionary<int, Route>(entries.Count);
        var primary = 0;
        var primarySeen = DateTimeOffset.MaxValue;
        foreach (var entry in entries)
        {
            if (entry.Port is < 1 or > 65535 || routes.ContainsKey(entry.Port))
            {
                continue;
            }

            routes[entry.Port] = new Route(entry.Port, entry.Ready, LoopbackTarget(entry.Family, entry.Address));
            if (entry.Ready && (entry.FirstSeen < primarySeen || (entry.FirstSeen == primarySeen && entry.Port < primary)))
            {
                primary = entry.Port;
                primarySeen = entry.FirstSeen;
            }
        }

        return new RouteTable(routes, primary, loaded: true);
    }

    /// <summary>
    /// The loopback address that reaches a socket bound to <paramref name="address"/>: IPv6 sockets (not v4-mapped)
    /// on <c>::1</c>, everything else on <c>127.0.0.1</c> (or its own 127.x address). Never a non-loopback address.
    /// </summary>
    public static IPAddress LoopbackTarget(string? family, string? address)
    {
        if (IPAddress.TryParse(address, out var ip))
        {
            if (ip.IsIPv4MappedToIPv6)
            {
                ip = ip.MapToIPv4();
            }

            if (IPAddress.IsLoopback(ip))
            {
                return ip;
            }

            return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        }

        return family == "ipv6" ? IPAddress.IPv6Loopback : IPAddress.Loopback;
    }
}
