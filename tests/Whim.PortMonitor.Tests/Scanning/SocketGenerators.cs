using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Whim.PortMonitor.Scanning;

namespace Whim.PortMonitor.Tests.Scanning;

/// <summary>Generated LISTEN socket tables: IPv4, v4-mapped, wildcard/loopback IPv6 and arbitrary IPv6 addresses.</summary>
internal static class SocketGenerators
{
    public static Gen<ListeningSocket> Socket { get; } =
        Gen.Choose(0, 3).SelectMany(kind => Gen.Choose(1, 65535).SelectMany(port => Gen.Choose(0, int.MaxValue).SelectMany(inode => Address(kind).Select(address =>
            ListeningSocket.From(address, (ushort)port, (ulong)inode)))));

    public static Gen<ListeningSocket[]> Tables { get; } = Gen.ListOf(Socket).Select(list => list.ToArray());

    private static Gen<IPAddress> Address(int kind) => kind switch
    {
        0 => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 4).Select(b => new IPAddress(b)),
        1 => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 4).Select(b => new IPAddress(b).MapToIPv6()),
        2 => Gen.Elements(IPAddress.IPv6Any, IPAddress.IPv6Loopback),
        _ => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 16).Select(b => new IPAddress(b)),
    };
}
