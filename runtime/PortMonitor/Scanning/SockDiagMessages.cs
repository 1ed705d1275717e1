using System.Buffers.Binary;

namespace Whim.PortMonitor.Scanning;

/// <summary>What one netlink datagram of a dump said.</summary>
internal enum SockDiagOutcome
{
    /// <summary>More datagrams follow.</summary>
    More,

    /// <summary><c>NLMSG_DONE</c>: the dump is complete.</summary>
    Done,

    /// <summary><c>NLMSG_ERROR</c>, or a message that does not fit its datagram.</summary>
    Failed,
}

/// <summary>
/// The bytes of a <c>SOCK_DIAG_BY_FAMILY</c> dump (linux/inet_diag.h, linux/netlink.h), written and read by hand so
/// the AOT binary needs no marshalling: the request is an <c>nlmsghdr</c> + <c>inet_diag_req_v2</c>, each answer an
/// <c>nlmsghdr</c> + <c>inet_diag_msg</c>. Host byte order for netlink fields, network order for ports and addresses.
/// Parsing never throws, whatever the bytes.
/// </summary>
internal static class SockDiagMessages
{
    public const byte AfInet = 2;
    public const byte AfInet6 = 10;
    public const int HeaderLength = 16;
    public const int RequestLength = HeaderLength + 56;
    public const int BothFamiliesRequestLength = HeaderLength + 60;
    public const int DiagMessageLength = 72;

    private const ushort NlmsgError = 2;
    private const ushort NlmsgDone = 3;
    private const ushort TcpDiagGetSock = 18;
    private const ushort SockDiagByFamily = 20;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFDump = 0x300;
    private const byte IpprotoTcp = 6;
    private const byte TcpListen = 10;

    /// <summary>Writes a dump request for the TCP LISTEN sockets of <paramref name="family"/>.</summary>
    public static void WriteListenDumpRequest(Span<byte> request, byte family, uint sequence)
    {
        request[..RequestLength].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(request, RequestLength);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], SockDiagByFamily);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], NlmFRequest | NlmFDump);
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], sequence);
        request[HeaderLength] = family;
        request[HeaderLength + 1] = IpprotoTcp;
        BinaryPrimitives.WriteUInt32LittleEndian(request[(HeaderLength + 4)..], 1u << TcpListen);
    }

    /// <summary>
    /// Writes the older <c>TCPDIAG_GETSOCK</c> request (an <c>nlmsghdr</c> + <c>inet_diag_req</c>) for the TCP LISTEN
    /// sockets: the kernel answers it for both families in one walk of its listening hash (a
    /// <c>SOCK_DIAG_BY_FAMILY</c> request names one family, so it takes two dumps and two walks).
    /// </summary>
    public static void WriteBothFamiliesListenDumpRequest(Span<byte> request, uint sequence)
    {
        request[..BothFamiliesRequestLength].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(request, BothFamiliesRequestLength);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], TcpDiagGetSock);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], NlmFRequest | NlmFDump);
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], sequence);

        // inet_diag_req: family (0: both), src_len, dst_len, ext, inet_diag_sockid (48 bytes), states, dbs.
        BinaryPrimitives.WriteUInt32LittleEndian(request[(HeaderLength + 52)..], 1u << TcpListen);
    }

    /// <summary>
    /// Reads one datagram of the dump numbered <paramref name="sequence"/>, appending its LISTEN sockets; messages of
    /// another sequence (a late answer to an abandoned dump) are skipped.
    /// </summary>
    public static SockDiagOutcome Parse(ReadOnlySpan<byte> datagram, uint sequence, List<ListeningSocket> into, out string? error)
    {
        error = null;
        var offset = 0;
        while (datagram.Length - offset >= HeaderLength)
        {
            var message = datagram[offset..];
            var length = BinaryPrimitives.ReadUInt32LittleEndian(message);
            if (length < HeaderLength || length > (uint)message.Length)
            {
                error = $"a message of {length} bytes does not fit the {message.Length} left";
                return SockDiagOutcome.Failed;
            }

            var type = BinaryPrimitives.ReadUInt16LittleEndian(message[4..]);
            var ofThisDump = BinaryPrimitives.ReadUInt32LittleEndian(message[8..]) == sequence;
            var body = message[HeaderLength..(int)length];
            if (ofThisDump)
            {
                switch (type)
                {
                    case NlmsgDone:
                        return SockDiagOutcome.Done;
                    case NlmsgError:
                        var errno = body.Length >= 4 ? -BinaryPrimitives.ReadInt32LittleEndian(body) : 0;
                        error = $"errno {errno}";
                        return SockDiagOutcome.Failed;
                    case SockDiagByFamily or TcpDiagGetSock:
                        Read(body, into);
                        break;
                }
            }

            offset += (int)Math.Min((uint)datagram.Length - (uint)offset, (length + 3u) & ~3u);
        }

        return SockDiagOutcome.More;
    }

    // inet_diag_msg: family, state, timer, retrans, then inet_diag_sockid { sport, dport (be16); src[16], dst[16];
    // if; cookie[2] }, then expires, rqueue, wqueue, uid, inode (u32 each).
    private static void Read(ReadOnlySpan<byte> body, List<ListeningSocket> into)
    {
        if (body.Length < DiagMessageLength || body[1] != TcpListen)
        {
            return;
        }

        var port = BinaryPrimitives.ReadUInt16BigEndian(body[4..]);
        var source = body.Slice(8, 16);
        var inode = BinaryPrimitives.ReadUInt32LittleEndian(body[68..]);
        switch (body[0])
        {
            case AfInet:
                into.Add(new ListeningSocket(SocketFamily.IPv4, BinaryPrimitives.ReadUInt32BigEndian(source), port, inode));
                break;
            case AfInet6:
                into.Add(new ListeningSocket(SocketFamily.IPv6, BinaryPrimitives.ReadUInt128BigEndian(source), port, inode));
                break;
        }
    }

    /// <summary>Writes one answer message for a socket (tests: the inverse of <see cref="Parse"/>).</summary>
    public static int WriteDiagMessage(Span<byte> into, ListeningSocket socket, uint sequence)
    {
        const int length = HeaderLength + DiagMessageLength;
        into[..length].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(into, length);
        BinaryPrimitives.WriteUInt16LittleEndian(into[4..], SockDiagByFamily);
        BinaryPrimitives.WriteUInt32LittleEndian(into[8..], sequence);
        var body = into[HeaderLength..];
        body[0] = socket.Family == SocketFamily.IPv4 ? AfInet : AfInet6;
        body[1] = TcpListen;
        BinaryPrimitives.WriteUInt16BigEndian(body[4..], socket.Port);
        if (socket.Family == SocketFamily.IPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(body[8..], (uint)socket.Address);
        }
        else
        {
            BinaryPrimitives.WriteUInt128BigEndian(body[8..], socket.Address);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(body[68..], (uint)socket.Inode);
        return length;
    }

    /// <summary>Writes the end-of-dump message (tests).</summary>
    public static int WriteDone(Span<byte> into, uint sequence)
    {
        into[..20].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(into, 20);
        BinaryPrimitives.WriteUInt16LittleEndian(into[4..], NlmsgDone);
        BinaryPrimitives.WriteUInt32LittleEndian(into[8..], sequence);
        return 20;
    }
}
