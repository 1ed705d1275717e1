using System.Net;
using System.Net.Sockets;
using Whim.LocalProxy.Transport;

namespace Whim.LocalProxy.Forwarding;

/// <summary>
/// The only way the proxy opens connections: to the loopback address the destination names (chosen from the port
/// table, see <see cref="PortAddresses.Destination"/>), with the other loopback family as a fallback (a server on
/// <c>::1</c> only refuses 127.0.0.1 and the reverse). It never resolves a name, so no Host or header can point a
/// connection off the machine.
/// </summary>
internal static class LoopbackConnector
{
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var port = context.DnsEndPoint.Port;
        if (!IPAddress.TryParse(context.DnsEndPoint.Host, out var preferred) || !IPAddress.IsLoopback(preferred))
        {
            throw new HttpRequestException($"refusing to connect to {context.DnsEndPoint.Host}: only loopback addresses are allowed");
        }

        return new NetworkStream(await ConnectSocketAsync(preferred, port, cancellationToken), ownsSocket: true);
    }

    /// <summary>Connects to <paramref name="preferred"/> (a loopback address), or to the other loopback family if that refuses.</summary>
    public static ValueTask<Socket> ConnectSocketAsync(IPAddress preferred, int port, CancellationToken cancellationToken) =>
        ConnectWithFallbackAsync(preferred, port, ConnectToAsync, cancellationToken);

    /// <summary>The same, on the proxy's own epoll loops (the HTTP/1.1 fast path's dev-server connections).</summary>
    public static ValueTask<EpollSocket> ConnectEpollAsync(IPAddress preferred, int port, EpollLoop? loop, CancellationToken cancellationToken) =>
        ConnectWithFallbackAsync(preferred, port, (address, port, token) => EpollSocket.ConnectAsync(new IPEndPoint(address, port), token, loop), cancellationToken);

    private static async ValueTask<T> ConnectWithFallbackAsync<T>(IPAddress preferred, int port, Func<IPAddress, int, CancellationToken, ValueTask<T>> connect, CancellationToken cancellationToken)
    {
        if (!IPAddress.IsLoopback(preferred))
        {
            throw new HttpRequestException($"refusing to connect to {preferred}: only loopback addresses are allowed");
        }

        var fallback = preferred.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.Loopback : IPAddress.IPv6Loopback;
        try
        {
            return await connect(preferred, port, cancellationToken);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported)
        {
            return await connect(fallback, port, cancellationToken);
        }
    }

    private static async ValueTask<Socket> ConnectToAsync(IPAddress address, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
