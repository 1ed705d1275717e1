using System.Buffers.Binary;

namespace Whim.PortMonitor.Scanning;

/// <summary>
/// Parses <c>/proc/net/tcp</c> and <c>/proc/net/tcp6</c> and keeps the LISTEN sockets. Pure and allocation-free:
/// it walks the bytes with spans and appends to a list the caller reuses between scans. A line it cannot read is
/// skipped, never an exception: the input is whatever the kernel (or a test) wrote.
/// </summary>
/// <remarks>
/// A line, as printed by <c>tcp4_seq_show</c> / <c>tcp6_seq_show</c> (trailing fields vary by kernel):
/// <code>
///   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
///    0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0
/// </code>
/// Addresses are the network-order words printed as native integers (<c>%08X</c> per 32-bit word), so on a
/// little-endian machine 127.0.0.1 reads <c>0100007F</c>; ports are already in host order. State <c>0A</c> is LISTEN.
/// </remarks>
internal static class ProcNetTcpParser
{
    /// <summary>TCP_LISTEN in the kernel's state enumeration.</summary>
    public const int ListenState = 0x0A;

    /// <summary>Appends every LISTEN socket of <paramref name="content"/> to <paramref name="sockets"/>; returns how many.</summary>
    public static int Parse(ReadOnlySpan<byte> content, List<ListeningSocket> sockets)
    {
        ArgumentNullException.ThrowIfNull(sockets);
        var found = 0;
        while (!content.IsEmpty)
        {
            var end = content.IndexOf((byte)'\n');
            var line = end < 0 ? content : content[..end];
            content = end < 0 ? default : content[(end + 1)..];
            if (TryParseLine(line, out var socket))
            {
                sockets.Add(socket);
                found++;
            }
        }

        return found;
    }

    /// <summary>Reads one line; true only for a well-formed LISTEN socket.</summary>
    public static bool TryParseLine(ReadOnlySpan<byte> line, out ListeningSocket socket)
    {
        socket = default;

        // sl: "  0:"
        if (!NextToken(ref line, out var token) || token.Length < 2 || token[^1] != (byte)':' || !IsDecimal(token[..^1]))
        {
            return false;
        }

        if (!NextToken(ref line, out var local) || !NextToken(ref line, out _) || !NextToken(ref line, out var state))
        {
            return false;
        }

        if (state.Length != 2 || !TryParseHex(state, out var st) || st != ListenState)
        {
            return false;
        }

        // tx_queue:rx_queue, tr:tm->when, retrnsmt, uid, timeout
        for (var i = 0; i < 5; i++)
        {
            if (!NextToken(ref line, out _))
            {
                return false;
            }
        }

        if (!NextToken(ref line, out var inodeText) || !TryParseDecimal(inodeText, out var inode))
        {
            return false;
        }

        var colon = local.IndexOf((byte)':');
        if (colon < 0)
        {
            return false;
        }

        var addressHex = local[..colon];
        var portHex = local[(colon + 1)..];
        if (portHex.Length != 4 || !TryParseHex(portHex, out var port))
        {
            return false;
        }

        SocketFamily family;
        UInt128 address;
        if (addressHex.Length == 8)
        {
            if (!TryParseWord(addressHex, out var word))
            {
                return false;
            }

            family = SocketFamily.IPv4;
            address = word;
        }
        else if (addressHex.Length == 32)
        {
            address = UInt128.Zero;
            for (var i = 0; i < 4; i++)
            {
                if (!TryParseWord(addressHex.Slice(i * 8, 8), out var word))
                {
                    return false;
                }

                address = (address << 32) | word;
            }

            family = SocketFamily.IPv6;
        }
        else
        {
            return false;
        }

        socket = new ListeningSocket(family, address, (ushort)port, inode);
        return true;
    }

    // One 32-bit word as printed by the kernel, turned back into its network-order (big-endian) value.
    private static bool TryParseWord(ReadOnlySpan<byte> hex, out uint word)
    {
        word = 0;
        if (!TryParseHex(hex, out var printed))
        {
            return false;
        }

        var native = (uint)printed;
        word = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(native) : native;
        return true;
    }

    private static bool NextToken(ref ReadOnlySpan<byte> line, out ReadOnlySpan<byte> token)
    {
        var start = 0;
        while (start < line.Length && (line[start] == (byte)' ' || line[start] == (byte)'\t' || line[start] == (byte)'\r'))
        {
            start++;
        }

        var end = start;
        while (end < line.Length && line[end] != (byte)' ' && line[end] != (byte)'\t' && line[end] != (byte)'\r')
        {
            end++;
        }

        token = line[start..end];
        line = line[end..];
        return !token.IsEmpty;
    }

    private static bool IsDecimal(ReadOnlySpan<byte> text) => TryParseDecimal(text, out _);

    private static bool TryParseDecimal(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 19)
        {
            return false;
        }

        foreach (var c in text)
        {
            var digit = (uint)(c - '0');
            if (digit > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    private static bool TryParseHex(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 16)
        {
            return false;
        }

        foreach (var c in text)
        {
            int digit = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        return true;
    }
}
