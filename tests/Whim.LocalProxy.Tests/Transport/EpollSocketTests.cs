using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FluentAssertions;
using Whim.LocalProxy.Transport;
using Xunit;

namespace Whim.LocalProxy.Tests.Transport;

/// <summary>
/// The epoll socket against plain .NET sockets on loopback: data both ways, the end of the stream, a peer that
/// sends and closes at once (the end must not be missed), sends larger than the socket buffers (the wait for
/// writability), refused connections, and a receive ended by an abort or a dispose from another thread.
/// </summary>
public sealed class EpollSocketTests : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public EpollSocketTests()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
    }

    private IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndPoint!;

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task Sends_and_receives_and_reads_the_end_of_the_stream()
    {
        using var socket = await EpollSocket.ConnectAsync(Endpoint, CancellationToken.None);
        using var peer = await _listener.AcceptAsync();

        await socket.SendAsync("ping"u8.ToArray());
        (await ReceiveExactlyAsync(peer, 4)).Should().Equal("ping"u8.ToArray());

        await peer.SendAsync("pong"u8.ToArray());
        var buffer = new byte[16];
        var read = await socket.ReceiveAsync(buffer);
        buffer[..read].Should().Equal("pong"u8.ToArray());

        peer.Shutdown(SocketShutdown.Send);
        (await socket.ReceiveAsync(buffer)).Should().Be(0);
    }

    [Fact]
    public async Task Data_sent_together_with_the_close_is_read_and_then_the_end()
    {
        // The data and the FIN raise one edge: a receive that drains the data must still see the end after it.
        for (var i = 0; i < 200; i++)
        {
            using var socket = await EpollSocket.ConnectAsync(Endpoint, CancellationToken.None);
            using (var peer = await _listener.AcceptAsync())
            {
                peer.Send(BitConverter.GetBytes(i));
                peer.Shutdown(SocketShutdown.Both);
            }

            var buffer = new byte[64];
            var total = 0;
            int read;
            while ((read = await socket.ReceiveAsync(buffer.AsMemory(total))) > 0)
            {
                total += read;
            }

            total.Should().Be(4);
            BitConverter.ToInt32(buffer).Should().Be(i);
        }
    }

    [Fact]
    public async Task A_send_larger_than_the_socket_buffers_waits_for_the_reader_and_arrives_intact()
    {
        using var socket = await EpollSocket.ConnectAsync(Endpoint, CancellationToken.None);
        using var peer = await _listener.AcceptAsync();
        var data = RandomNumberGenerator.GetBytes(32 * 1024 * 1024);

        var send = socket.SendAsync(data).AsTask();
        send.IsCompleted.Should().BeFalse("32 MB do not fit in loopback's socket buffers before the peer reads");
        var received = await ReceiveExactlyAsync(peer, data.Length);
        await send;

        received.AsSpan().SequenceEqual(data).Should().BeTrue();
    }

    [Fact]
    public async Task Echoes_many_small_messages_both_ways_in_order()
    {
        using var socket = await EpollSocket.ConnectAsync(Endpoint, CancellationToken.None);
        using var peer = await _listener.AcceptAsync();
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            int read;
            while ((read = await peer.ReceiveAsync(buffer)) > 0)
            {
                await peer.SendAsync(buffer.AsMemory(0, read));
            }

            peer.Shutdown(SocketShutdown.Send);
        });

        var incoming = new byte[8];
        for (var i = 0; i < 2000; i++)
        {
            await socket.SendAsync(BitConverter.GetBytes((long)i));
            var got = 0;
            while (got < 8)
            {
                got += await socket.ReceiveAsync(incoming.AsMemory(got));
            }

            BitConverter.ToInt64(incoming).Should().Be(i);
        }

        socket.ShutdownSend();
        (await socket.ReceiveAsync(incoming)).Should().Be(0);
        await echo;
    }

    [Fact]
    public async Task A_refused_connection_says_so()
    {
        var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        closed.Dispose();

        var connect = async () => await EpollSocket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), CancellationToken.None);

        (await connect.Should().ThrowAsync<SocketException>()).Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
    }

    [Fact]
    public async Task An_abort_from_another_thread_ends_a_pending_receive()
    {
        using var socket = await EpollSocket.ConnectAsync(Endpoint, CancellationToken.None);
        using var peer = await _listener.AcceptAsync();
        var receive = socket.ReceiveAsync(new byte[16]).AsTask();
        receive.IsCompleted.Should().BeFalse("nothing was sent");

        await Task.Run(socket.Abort);

        (await receive).Should().Be(0);
        (await peer.ReceiveAsync(new byte[16])).Should().Be(0, "the peer reads the end of the stream");
    }

    [Fact]
    public async Task Disposing_fails_a_pending_receive()
    {
        var socket = await EpollSocket.ConnectAsync(Endpoint, CancellationToken.None);
        using var peer = await _listener.AcceptAsync();
        var receive = socket.ReceiveAsync(new byte[16]).AsTask();

        socket.Dispose();

        await receive.Invoking(r => r).Should().ThrowAsync<ObjectDisposedException>();
        var reused = async () => await socket.ReceiveAsync(new byte[16]);
        await reused.Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task Connects_over_IPv6_loopback()
    {
        using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        listener.Listen(1);
        using var socket = await EpollSocket.ConnectAsync((IPEndPoint)listener.LocalEndPoint!, CancellationToken.None);
        using var peer = await listener.AcceptAsync();

        await peer.SendAsync("six"u8.ToArray());
        var buffer = new byte[8];

        buffer[..await socket.ReceiveAsync(buffer)].Should().Equal("six"u8.ToArray());
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(got));
            read.Should().BePositive("the stream ended early");
            got += read;
        }

        return buffer;
    }
}
