using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Whim.PortMonitor.Scanning;
using Whim.PortMonitor.Table;

namespace Whim.PortMonitor.Readiness;

/// <summary>
/// Decides whether a new listener answers yet, so no preview URL leads to an error page while a server warms up.
/// It connects, sends a plain <c>GET /</c> and waits for the first byte: any answer (HTTP or not) means ready; a
/// server that accepts but stays silent until the probe timeout is taken as a non-HTTP server that accepts, and
/// counts as ready too. A refused or reset connection means not yet.
/// </summary>
internal sealed class ReadinessProbe(TimeSpan answerTimeout)
{
    /// <summary>True when the port answers (or accepts and keeps quiet for the whole timeout).</summary>
    public async Task<bool> ProbeAsync(PortEntry entry, CancellationToken cancellationToken)
    {
        var address = ProbeTarget.For(entry.Family, entry.Address);
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(answerTimeout);
        try
        {
            await socket.ConnectAsync(address, entry.Port, timeout.Token);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            var request = Encoding.ASCII.GetBytes(string.Create(
                CultureInfo.InvariantCulture,
                $"GET / HTTP/1.1\r\nHost: localhost:{entry.Port}\r\nUser-Agent: whim-port-monitor\r\nAccept: */*\r\nConnection: close\r\n\r\n"));
            await socket.SendAsync(request, SocketFlags.None, timeout.Token);
            var buffer = new byte[16];
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);

            // Bytes: it answered. Zero: it accepted and closed on us, which a non-HTTP server may do.
            return read >= 0;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return false;
        }
    }
}
