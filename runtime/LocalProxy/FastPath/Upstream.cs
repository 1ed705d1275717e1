using System.Buffers;
using System.Net;
using Whim.LocalProxy.Forwarding;
using Whim.LocalProxy.Transport;

namespace Whim.LocalProxy.FastPath;

/// <summary>One keep-alive connection to a dev server, with its receive buffer and response parser.</summary>
internal sealed class UpstreamConnection : IDisposable
{
    private int _disposed;

    public UpstreamConnection(EpollSocket socket, IPAddress target, int port)
    {
        Socket = socket;
        Target = target;
        Port = port;
        Buffer = ArrayPool<byte>.Shared.Rent(8192);
    }

    public EpollSocket Socket { get; }

    /// <summary>The address the route named (the socket may have fallen back to the other loopback family).</summary>
    public IPAddress Target { get; }

    public int Port { get; }

    /// <summary>Receives the response head (and whatever body came with it); grows up to <see cref="ResponseHead.MaxLength"/>.</summary>
    public byte[] Buffer { get; private set; }

    public ResponseHead Head { get; } = new();

    /// <summary>True once the connection carried a response: a failure on it may be a dev server that closed it while idle.</summary>
    public bool Used { get; set; }

    /// <summary>When it went back to the pool (<see cref="Environment.TickCount64"/>).</summary>
    public long IdleSince { get; set; }

    public bool Matches(IPAddress target, int port) => Port == port && Target.Equals(target);

    /// <summary>Doubles the buffer, keeping its first <paramref name="filled"/> bytes; false at the limit.</summary>
    public bool Grow(int filled)
    {
        if (Buffer.Length >= ResponseHead.MaxLength)
        {
            return false;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(Buffer.Length * 2, ResponseHead.MaxLength));
        Buffer.AsSpan(0, filled).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(Buffer);
        Buffer = bigger;
        return true;
    }

    /// <summary>Shuts the socket down from another thread (a timeout): pending calls end; the owner still disposes.</summary>
    public void Abort() => Socket.Abort();

    /// <summary>Closes the socket and returns the buffer; only by the owner, never while a call on it is pending.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Socket.Dispose();
        ArrayPool<byte>.Shared.Return(Buffer);
        Buffer = [];
    }
}

/// <summary>
/// Idle keep-alive connections to dev servers, by address, port and epoll loop, shared by all client connections: a
/// connection is taken for one exchange and returned after it, so idle clients hold none. A client connection on a
/// loop (the epoll transport) takes and opens connections on that loop only, so a request and its response stay on
/// one thread (another loop's would move every exchange between two threads); one on Kestrel's socket transport
/// takes any. Idle connections are closed after <see cref="IdleTimeout"/>.
/// </summary>
internal sealed class UpstreamPool : IDisposable
{
    /// <summary>How long an idle connection is kept (SocketsHttpHandler's setting on the YARP path is the same).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    private const int MaxIdlePerDestination = 256;

    private readonly Dictionary<(IPAddress, int, EpollLoop), Stack<UpstreamConnection>> _idle = [];
    private readonly Lock _lock = new();
    private readonly TimeSpan _connectTimeout;

    public UpstreamPool(TimeSpan connectTimeout) => _connectTimeout = connectTimeout;

    /// <summary>An idle connection to the destination on <paramref name="loop"/> (null: on any), or null.</summary>
    public UpstreamConnection? Take(IPAddress target, int port, EpollLoop? loop)
    {
        List<UpstreamConnection>? closed = null;
        UpstreamConnection? taken = null;
        lock (_lock)
        {
            if (loop is not null)
            {
                taken = Pop(target, port, loop, ref closed);
            }
            else
            {
                foreach (var any in EpollLoop.Shared)
                {
                    if ((taken = Pop(target, port, any, ref closed)) is not null)
                    {
                        break;
                    }
                }
            }
        }

        closed?.ForEach(static c => c.Dispose());
        return taken;
    }

    /// <summary>Opens a new connection (loopback only, see <see cref="LoopbackConnector"/>).</summary>
    public async ValueTask<UpstreamConnection> ConnectAsync(IPAddress target, int port, EpollLoop? loop, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connectTimeout);
        var socket = await LoopbackConnector.ConnectEpollAsync(target, port, loop, timeout.Token);
        return new UpstreamConnection(socket, target, port);
    }

    /// <summary>Keeps a connection that finished a response cleanly, for the next request to its destination.</summary>
    public void Return(UpstreamConnection connection)
    {
        connection.IdleSince = Environment.TickCount64;
        lock (_lock)
        {
            var key = (connection.Target, connection.Port, connection.Socket.Loop);
            if (!_idle.TryGetValue(key, out var stack))
            {
                _idle[key] = stack = new Stack<UpstreamConnection>();
            }

            if (stack.Count < MaxIdlePerDestination)
            {
                stack.Push(connection);
                return;
            }
        }

        connection.Dispose();
    }

    /// <summary>Closes connections idle for longer than <see cref="IdleTimeout"/>.</summary>
    public void CloseIdle(long now)
    {
        List<UpstreamConnection>? expired = null;
        lock (_lock)
        {
            foreach (var stack in _idle.Values)
            {
                if (!AnyExpired(stack, now))
                {
                    continue;
                }

                var all = stack.ToArray(); // most recently returned first
                stack.Clear();
                for (var i = all.Length - 1; i >= 0; i--)
                {
                    if (now - all[i].IdleSince >= IdleTimeout.TotalMilliseconds)
                    {
                        (expired ??= []).Add(all[i]);
                    }
                    else
                    {
                        stack.Push(all[i]);
                    }
                }
            }
        }

        expired?.ForEach(static c => c.Dispose());
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var stack in _idle.Values)
            {
                while (stack.TryPop(out var connection))
                {
                    connection.Dispose();
                }
            }
        }
    }

    private UpstreamConnection? Pop(IPAddress target, int port, EpollLoop loop, ref List<UpstreamConnection>? closed)
    {
        if (_idle.TryGetValue((target, port, loop), out var stack))
        {
            while (stack.TryPop(out var connection))
            {
                if (!connection.Socket.PeerClosed)
                {
                    return connection;
                }

                // The dev server closed it while it was idle (its epoll loop saw the end): of no use.
                (closed ??= []).Add(connection);
            }
        }

        return null;
    }

    private static bool AnyExpired(Stack<UpstreamConnection> stack, long now)
    {
        foreach (var connection in stack)
        {
            if (now - connection.IdleSince >= IdleTimeout.TotalMilliseconds)
            {
                return true;
            }
        }

        return false;
    }
}
