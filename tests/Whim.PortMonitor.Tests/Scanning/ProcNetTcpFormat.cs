using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Whim.PortMonitor.Scanning;

namespace Whim.PortMonitor.Tests.Scanning;

/// <summary>Writes socket tables the way the kernel prints them (little-endian machine), for fixtures and round trips.</summary>
internal static class ProcNetTcpFormat
{
    public const string Header4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
    public const string Header6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

    public static string Line(int sl, ListeningSocket socket, int state = ProcNetTcpParser.ListenState)
    {
        var address = Address(socket);
        var remote = socket.Family == SocketFamily.IPv4 ? "00000000:0000" : new string('0', 32) + ":0000";
        return string.Create(CultureInfo.InvariantCulture,
            $"{sl,4}: {address}:{socket.Port:X4} {remote} {state:X2} 00000000:00000000 00:00000000 00000000  1000        0 {socket.Inode} 1 0000000000000000 100 0 0 10 0");
    }

    public static string Table(IEnumerable<ListeningSocket> sockets, SocketFamily family)
    {
        var text = new StringBuilder(family == SocketFamily.IPv4 ? Header4 : Header6).Append('\n');
        var sl = 0;
        foreach (var socket in sockets)
        {
            text.Append(Line(sl++, socket)).Append('\n');
        }

        return text.ToString();
    }

    private static string Address(ListeningSocket socket)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, socket.Address);
        var words = socket.Family == SocketFamily.IPv4 ? bytes[12..] : bytes;
        var text = new StringBuilder();
        for (var i = 0; i < words.Length; i += 4)
        {
            // The kernel prints each network-order word as a native (little-endian) integer.
            text.Append(BinaryPrimitives.ReadUInt32LittleEndian(words.Slice(i, 4)).ToString("X8", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
