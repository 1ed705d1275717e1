using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Whim.PortMonitor.Scanning;
using Xunit;

namespace Whim.PortMonitor.Tests.Scanning;

public sealed class SockDiagTests
{
    [Property(MaxTest = 200)]
    public Property Generated_dumps_round_trip_across_datagrams()
    {
        return Prop.ForAll(SocketGenerators.Tables.ToArbitrary(), Gen.Choose(1, 8).ToArbitrary(), (sockets, perDatagram) =>
        {
            const uint sequence = 7;
            var parsed = new List<ListeningSocket>();
            var buffer = new byte[8 * 96];
            foreach (var chunk in sockets.Chunk(perDatagram))
            {
                var length = 0;
                foreach (var socket in chunk)
                {
                    length += SockDiagMessages.WriteDiagMessage(buffer.AsSpan(length), socket with { Inode = (uint)socket.Inode }, sequence);
                }

                if (SockDiagMessages.Parse(buffer.AsSpan(0, length), sequence, parsed, out _) != SockDiagOutcome.More)
                {
                    return false;
                }
            }

            var done = SockDiagMessages.WriteDone(buffer, sequence);
            return SockDiagMessages.Parse(buffer.AsSpan(0, done), sequence, parsed, out _) == SockDiagOutcome.Done
                && parsed.SequenceEqual(sockets.Select(s => s with { Inode = (uint)s.Inode }));
        });
    }

    [Fact]
    public void Messages_of_an_abandoned_dump_are_skipped()
    {
        var buffer = new byte[256];
        var length = SockDiagMessages.WriteDiagMessage(buffer, ListeningSocket.From(IPAddress.Loopback, 5173, 42), sequence: 1);
        length += SockDiagMessages.WriteDone(buffer.AsSpan(length), sequence: 1);
        var parsed = new List<ListeningSocket>();

        SockDiagMessages.Parse(buffer.AsSpan(0, length), sequence: 2, parsed, out _).Should().Be(SockDiagOutcome.More);

        parsed.Should().BeEmpty();
    }

    [Fact]
    public void The_both_families_request_asks_for_listeners_of_any_family()
    {
        var request = new byte[SockDiagMessages.BothFamiliesRequestLength];

        SockDiagMessages.WriteBothFamiliesListenDumpRequest(request, sequence: 9);

        BitConverter.ToUInt32(request, 0).Should().Be(76u, "nlmsghdr (16) + inet_diag_req (60)");
        BitConverter.ToUInt16(request, 4).Should().Be(18, "TCPDIAG_GETSOCK");
        BitConverter.ToUInt16(request, 6).Should().Be(0x301, "NLM_F_REQUEST | NLM_F_DUMP");
        BitConverter.ToUInt32(request, 8).Should().Be(9u);
        request[16].Should().Be(0, "family 0: both");
        BitConverter.ToUInt32(request, 16 + 52).Should().Be(1u << 10, "TCP_LISTEN only");
    }

    [Fact]
    public void Answers_to_the_both_families_request_are_read()
    {
        var buffer = new byte[256];
        var length = SockDiagMessages.WriteDiagMessage(buffer, ListeningSocket.From(IPAddress.IPv6Loopback, 5173, 42), sequence: 3);
        BitConverter.TryWriteBytes(buffer.AsSpan(4), (ushort)18).Should().BeTrue();
        length += SockDiagMessages.WriteDone(buffer.AsSpan(length), sequence: 3);
        var parsed = new List<ListeningSocket>();

        SockDiagMessages.Parse(buffer.AsSpan(0, length), sequence: 3, parsed, out _).Should().Be(SockDiagOutcome.Done);

        parsed.Should().Equal(ListeningSocket.From(IPAddress.IPv6Loopback, 5173, 42));
    }

    [Property(MaxTest = 500)]
    public bool Arbitrary_bytes_never_crash_the_reader(byte[] bytes, uint sequence)
    {
        var parsed = new List<ListeningSocket>();
        var outcome = SockDiagMessages.Parse(bytes ?? [], sequence, parsed, out var error);
        return outcome != SockDiagOutcome.Failed || error is not null;
    }

    [Fact]
    public void The_kernel_dump_lists_the_same_listeners_as_proc()
    {
        using var source = SockDiagSource.TryOpen(out var reason);
        source.Should().NotBeNull($"this kernel answers NETLINK_SOCK_DIAG ({reason})");
        source!.BothFamiliesAtOnce.Should().BeTrue("the kernel answers the both-families TCPDIAG_GETSOCK dump");
        using var v4 = Listen(IPAddress.Loopback);
        using var v6 = Listen(IPAddress.IPv6Loopback);
        using var any = Listen(IPAddress.Any);
        using var client = new TcpClient();
        client.Connect((IPEndPoint)v4.LocalEndPoint!);
        var ours = new HashSet<int> { Port(v4), Port(v6), Port(any) };

        var fromNetlink = new List<ListeningSocket>();
        var fromProc = new List<ListeningSocket>();
        source!.Read(fromNetlink);
        new ProcNetTcpSource(new ProcFiles("/proc")).Read(fromProc);

        var netlinkOurs = fromNetlink.Where(s => ours.Contains(s.Port)).OrderBy(s => s.Port).ToList();
        netlinkOurs.Should().HaveCount(3, "only LISTEN sockets come back, not the connected pair");
        netlinkOurs.Should().Equal(fromProc.Where(s => ours.Contains(s.Port)).OrderBy(s => s.Port));
        netlinkOurs.Should().ContainSingle(s => s.Port == Port(v6)).Which.ToIPAddress().Should().Be(IPAddress.IPv6Loopback);
        netlinkOurs.Should().OnlyContain(s => s.Inode != 0);
    }

    private static Socket Listen(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        socket.Listen();
        return socket;
    }

    private static int Port(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;
}
