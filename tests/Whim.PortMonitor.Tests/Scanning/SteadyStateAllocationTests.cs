using System.Net;
using FluentAssertions;
using Whim.PortMonitor.Scanning;
using Xunit;

namespace Whim.PortMonitor.Tests.Scanning;

/// <summary>A scan runs 20 times a second for the container's whole life: when nothing changed it allocates nothing.</summary>
public sealed class SteadyStateAllocationTests : IDisposable
{
    private readonly FakeProc _proc = new();

    [Fact]
    public void A_scan_that_finds_nothing_new_allocates_nothing()
    {
        _proc.Process(1, 0, "bash", "/bin/bash");
        _proc.Process(200, 1, "python3", "/usr/bin/python3", "-m", "http.server", "8000");
        _proc.Listen(200, 6, "0.0.0.0", 8000, 4);
        _proc.Listen(200, 7, "::", 8000, 5);
        var source = new FixedSource(
        [
            ListeningSocket.From(IPAddress.Any, 8000, 4),
            ListeningSocket.From(IPAddress.IPv6Any, 8000, 5),
            ListeningSocket.From(IPAddress.Loopback, 8080, 6),
        ]);
        var scanner = new PortScanner(source, new SocketOwnerResolver(new ProcFiles(_proc.Root), ownerPidRoot: null), [8080], scoped: false, TimeSpan.FromSeconds(2));
        var now = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        var unready = new List<Whim.PortMonitor.Table.PortEntry>();
        scanner.Scan(now).Should().BeTrue();
        scanner.MarkReady(8000, 4).Should().BeTrue();
        scanner.Scan(now.AddSeconds(1)).Should().BeFalse("warm-up: every collection has its size");
        scanner.CollectUnready(unready);

        var changed = false;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            changed |= scanner.Scan(now.AddSeconds(2 + i));
            unready.Clear();
            scanner.CollectUnready(unready);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().Be(0);
        changed.Should().BeFalse();
        unready.Should().BeEmpty();
        scanner.Entries().Should().ContainSingle().Which.Should().BeEquivalentTo(new { Port = 8000, Pid = 200, Ready = true });
    }

    [Fact]
    public void Parsing_a_sock_diag_datagram_allocates_nothing()
    {
        var buffer = new byte[4096];
        var length = 0;
        for (var i = 0; i < 20; i++)
        {
            length += SockDiagMessages.WriteDiagMessage(buffer.AsSpan(length), ListeningSocket.From(IPAddress.Loopback, (ushort)(3000 + i), (ulong)(100 + i)), 9);
        }

        length += SockDiagMessages.WriteDone(buffer.AsSpan(length), 9);
        var into = new List<ListeningSocket>(64);
        SockDiagMessages.Parse(buffer.AsSpan(0, length), 9, into, out _).Should().Be(SockDiagOutcome.Done);
        into.Clear();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var outcome = SockDiagMessages.Parse(buffer.AsSpan(0, length), 9, into, out var error);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().Be(0);
        outcome.Should().Be(SockDiagOutcome.Done);
        error.Should().BeNull();
        into.Should().HaveCount(20);
    }

    public void Dispose() => _proc.Dispose();

    private sealed class FixedSource(ListeningSocket[] sockets) : IListeningSocketSource
    {
        public string Name => "fixed";

        public void Read(List<ListeningSocket> into) => into.AddRange(sockets);
    }
}
