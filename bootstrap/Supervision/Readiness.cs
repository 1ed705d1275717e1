using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Whim.Bootstrap.Supervision;

/// <summary>Waits for a service's health endpoint, polling on a short period until a deadline.</summary>
internal static class Readiness
{
    private static readonly TimeSpan s_period = TimeSpan.FromMilliseconds(10);

    /// <summary>True once <c>GET {url}{path}</c> answers 2xx; false when the process exits or the deadline passes.</summary>
    /// <remarks>
    /// Until the port accepts a connection it is probed with a bare connect that reports refusal as a value: an
    /// HTTP request to a closed port throws, and a few hundred exceptions (costly in a Native AOT process) while four
    /// services start would take CPU from the services themselves.
    /// </remarks>
    public static async Task<bool> WaitAsync(HttpClient http, ChildProcess process, string path, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(s_period);
        var listening = false;
        while (clock.Elapsed < deadline && !process.HasExited)
        {
            listening = listening || await AcceptsConnectionsAsync(process.Service.Url, cancellationToken);
            if (listening)
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(process.Service.Url, path), cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        return true;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // The request timed out (a loaded machine, a service still warming up): poll again.
                }
            }

            await timer.WaitForNextTickAsync(cancellationToken);
        }

        return false;
    }

    /// <summary>True when a TCP connection to the URL's address and port is accepted (always true for a host name); refusal is a value, not an exception.</summary>
    internal static async Task<bool> AcceptsConnectionsAsync(Uri url, CancellationToken cancellationToken)
    {
        if (!IPAddress.TryParse(url.Host, out var address))
        {
            return true; // A host name: let the HTTP request resolve it.
        }

        var endpoint = new IPEndPoint(address, url.Port);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var connect = new ConnectOperation(endpoint);
        await using var cancel = cancellationToken.Register(static s => Socket.CancelConnectAsync((SocketAsyncEventArgs)s!), connect);
        return await connect.RunAsync(socket) == SocketError.Success;
    }

    private sealed class ConnectOperation : SocketAsyncEventArgs
    {
        private readonly TaskCompletionSource<SocketError> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConnectOperation(EndPoint endpoint) => RemoteEndPoint = endpoint;

        public Task<SocketError> RunAsync(Socket socket)
        {
            if (!socket.ConnectAsync(this))
            {
                _done.TrySetResult(SocketError);
            }

            return _done.Task;
        }

        protected override void OnCompleted(SocketAsyncEventArgs e) => _done.TrySetResult(e.SocketError);
    }
}
