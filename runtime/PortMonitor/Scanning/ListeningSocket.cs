using System.Buffers.Binary;
using System.Net;

namespace Whim.PortMonitor.Scanning;

/// <summary>The address family of a socket table (<c>/proc/net/tcp</c> is IPv4, <c>/proc/net/tcp6</c> IPv6).</summary>
internal enum SocketFamily : byte
{
    IPv4 = 4,
    IPv6 = 6,
}

/// <summary>
/// One LISTEN socket as the kernel reports it. The address is kept as raw network-order bytes in a
/// <see cref="UInt128"/> (IPv4 in the low 32 bits) so a scan allocates nothing; it becomes an
/// <see cref="IPAddress"/> only when a new port is reported.
/// </summary>
internal readonly record struct ListeningSocket(SocketFamily Family, UInt128 Address, ushort Port, ulong Inode)
{
    /// <summary>The bound address as an <see cref="IPAddress"/> (v4-mapped IPv6 addresses stay IPv6).</summary>
    public IPAddress ToIPAddress()
    {
        if (Family == SocketFamily.IPv4)
        {
            Span<byte> v4 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)Address);
            return new IPAddress(v4);
        }

        Span<byte> v6 = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(v6, Address);
        return new IPAddress(v6);
    }

    /// <summary>Builds a socket from an <see cref="IPAddress"/> (tests and fixtures).</summary>
    public static ListeningSocket From(IPAddress address, ushort port, ulong inode)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4
            ? new ListeningSocket(SocketFamily.IPv4, BinaryPrimitives.ReadUInt32BigEndian(bytes), port, inode)
            : new ListeningSocket(SocketFamily.IPv6, BinaryPrimitives.ReadUInt128BigEndian(bytes), port, inode);
    }
}
