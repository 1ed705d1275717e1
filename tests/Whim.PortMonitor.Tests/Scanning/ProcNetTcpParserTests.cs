using System.Net;
using System.Text;
using FluentAssertions;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Whim.PortMonitor.Scanning;
using Xunit;

namespace Whim.PortMonitor.Tests.Scanning;

public sealed class ProcNetTcpParserTests
{
    // Captured from a real machine: a LISTEN on 0.0.0.0:2024, an ESTABLISHED loopback connection.
    private const string Tcp4 = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 104 1 00000000133b4b8d 100 0 0 10 0
           1: 0100007F:9DEF 0100007F:D980 01 00000000:00000000 03:000002D0 00000000     0        0 0 3 00000000dd1ebb4e
           2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123456 1 0000000000000000 100 0 0 10 0
        """;

    private const string Tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000001000000:1435 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5555 1 0000000000000000 100 0 0 10 0
           1: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 6666 1 0000000000000000 100 0 0 10 0
           2: 0000000000000000FFFF00000100007F:22B8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7777 1 0000000000000000 100 0 0 10 0
           3: 0000000000000000FFFF00000100007F:DEFA 0000000000000000FFFF00000100007F:810D 06 00000000:00000000 03:000002D6 00000000     0        0 0 3 000000003d102025
           4: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 8888 1 0000000000000000 100 0 0 10 0
        """;

    [Fact]
    public void Keeps_only_LISTEN_sockets_and_decodes_IPv4_addresses_and_ports()
    {
        var sockets = Parse(Tcp4);

        sockets.Should().HaveCount(2);
        sockets[0].Should().Be(new ListeningSocket(SocketFamily.IPv4, 0, 2024, 104));
        sockets[0].ToIPAddress().Should().Be(IPAddress.Any);
        sockets[1].Port.Should().Be(8080);
        sockets[1].Inode.Should().Be(123456);
        sockets[1].ToIPAddress().ToString().Should().Be("127.0.0.1");
    }

    [Fact]
    public void Decodes_IPv6_loopback_wildcard_v4_mapped_and_global_addresses()
    {
        var sockets = Parse(Tcp6);

        sockets.Select(s => (s.Port, s.ToIPAddress().ToString(), s.Inode)).Should().Equal(
            (5173, "::1", 5555UL),
            (3000, "::", 6666UL),
            (8888, "::ffff:127.0.0.1", 7777UL),
            (80, "2001:db8::1", 8888UL));
        sockets.Should().OnlyContain(s => s.Family == SocketFamily.IPv6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   0: 0100007F:1F90")]
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A")]
    [InlineData("   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1")]
    [InlineData("   0: 0100007F:1F9 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1")]
    [InlineData("   0: 0100007F1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1")]
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 -1 1")]
    [InlineData("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 99999999999999999999 1")]
    [InlineData("   x: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1")]
    [InlineData("   0: 01000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1")]
    public void Refuses_malformed_lines(string line)
    {
        ProcNetTcpParser.TryParseLine(Encoding.ASCII.GetBytes(line), out _).Should().BeFalse();
    }

    [Property(MaxTest = 500)]
    public bool Arbitrary_bytes_never_crash_the_parser(byte[] bytes)
    {
        var sockets = new List<ListeningSocket>();
        var count = ProcNetTcpParser.Parse(bytes ?? [], sockets);
        return count == sockets.Count;
    }

    [Property(MaxTest = 300)]
    public bool Mutated_real_tables_never_crash_the_parser(int seed)
    {
        var text = Encoding.ASCII.GetBytes(Tcp4 + "\n" + Tcp6);
        var random = new Random(seed);
        for (var i = 0; i < 1 + random.Next(20); i++)
        {
            text[random.Next(text.Length)] = (byte)random.Next(256);
        }

        var sockets = new List<ListeningSocket>();
        ProcNetTcpParser.Parse(text, sockets);
        return sockets.Count <= 7;
    }

    [Property(MaxTest = 200)]
    public Property Generated_socket_tables_round_trip()
    {
        return Prop.ForAll(SocketGenerators.Tables.ToArbitrary(), sockets =>
        {
            var v4 = sockets.Where(s => s.Family == SocketFamily.IPv4).ToArray();
            var v6 = sockets.Where(s => s.Family == SocketFamily.IPv6).ToArray();
            var parsed = new List<ListeningSocket>();
            ProcNetTcpParser.Parse(Encoding.ASCII.GetBytes(ProcNetTcpFormat.Table(v4, SocketFamily.IPv4)), parsed);
            ProcNetTcpParser.Parse(Encoding.ASCII.GetBytes(ProcNetTcpFormat.Table(v6, SocketFamily.IPv6)), parsed);
            return parsed.SequenceEqual(v4.Concat(v6));
        });
    }

    [Fact]
    public void Steady_state_parse_allocates_nothing()
    {
        var text = Encoding.ASCII.GetBytes(Tcp4 + "\n" + Tcp6);
        var sockets = new List<ListeningSocket>(64);
        ProcNetTcpParser.Parse(text, sockets);
        sockets.Clear();

        var before = GC.GetAllocatedBytesForCurrentThread();
        ProcNetTcpParser.Parse(text, sockets);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().Be(0);
        sockets.Should().HaveCount(6);
    }

    private static List<ListeningSocket> Parse(string text)
    {
        var sockets = new List<ListeningSocket>();
        ProcNetTcpParser.Parse(Encoding.ASCII.GetBytes(text), sockets);
        return sockets;
    }
}
