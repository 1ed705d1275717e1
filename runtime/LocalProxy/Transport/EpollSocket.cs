using System.Net;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Whim.LocalProxy.Transport;

/// <summary>
/// A non-blocking socket on an <see cref="EpollLoop"/>, with one receive and one send (or connect) in flight at a
/// time. A receive is tried at once only when the socket is known to be readable (the last receive filled its
/// buffer, or an event came since); otherwise it waits for the loop's event and runs there, and so does the code
/// awaiting it. The readiness hint is cleared before each call and set by events, so no event is lost: the kernel
/// signals data that arrives after a call returned.
/// </summary>
internal sealed class EpollSocket : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Operation _receive = new();
    private readonly Operation _send = new();
    private readonly int _fd;
    private EpollLoop _loop = null!;
    private ulong _id;
    private volatile bool _readable;
    private volatile bool _peerClosed;
    private bool _closed;
    private long _writeEvents;

    // The operations waiting for the loop (under _lock).
    private Memory<byte> _receiveBuffer;
    private bool _receivePending;
    private bool _waitOnly;
    private ReadOnlyMemory<byte> _sendBuffer;
    private bool _sendPending;
    private bool _connectPending;

    private EpollSocket(int fd) => _fd = fd;

    /// <summary>The loop whose thread its events (and the code awaiting them) run on.</summary>
    public EpollLoop Loop => _loop;

    /// <summary>True once the peer closed its side (or the connection broke): a kept connection in this state is done.</summary>
    public bool PeerClosed => _peerClosed;

    /// <summary>The file descriptor (valid until <see cref="Dispose"/>).</summary>
    public int Fd => _fd;

    /// <summary>Takes a connected non-blocking socket onto <paramref name="loop"/>.</summary>
    public static EpollSocket Adopt(int fd, EpollLoop loop)
    {
        var socket = new EpollSocket(fd);
        socket.Register(loop);
        return socket;
    }

    /// <summary>Opens a TCP connection (non-blocking, TCP_NODELAY) on <paramref name="loop"/>, or the caller's, or the next one.</summary>
    public static async ValueTask<EpollSocket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken, EpollLoop? loop = null)
    {
        var socket = new EpollSocket(Open(endpoint));
        try
        {
            if (socket.StartConnect(endpoint, loop ?? EpollLoop.Pick()) is { } pending)
            {
                using (cancellationToken.UnsafeRegister(static state => ((EpollSocket)state!).Cancel(), socket))
                {
                    await pending;
                }
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Receives into <paramref name="buffer"/>: the count, 0 at the end of the stream.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        while (true)
        {
            if (_readable || _peerClosed)
            {
                _readable = false;
                var read = Receive(buffer.Span, out var errno);
                if (read >= 0)
                {
                    if (read == buffer.Length && read > 0)
                    {
                        _readable = true; // there may be more
                    }

                    return new ValueTask<int>((int)read);
                }

                if (errno != Native.EAgain)
                {
                    return ValueTask.FromException<int>(Native.Error(errno));
                }
            }

            lock (_lock)
            {
                if (_closed)
                {
                    return ValueTask.FromException<int>(new ObjectDisposedException(nameof(EpollSocket)));
                }

                if (_readable || _peerClosed)
                {
                    continue;
                }

                _receiveBuffer = buffer;
                _waitOnly = false;
                _receivePending = true;
                _receive.Reset();
                return new ValueTask<int>(_receive, _receive.Version);
            }
        }
    }

    /// <summary>Waits until the socket is readable (a listener: a connection to accept); call <see cref="ClearReadable"/> before the attempt that failed.</summary>
    public ValueTask WaitReadableAsync()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return ValueTask.FromException(new ObjectDisposedException(nameof(EpollSocket)));
            }

            if (_readable || _peerClosed)
            {
                return ValueTask.CompletedTask;
            }

            _waitOnly = true;
            _receivePending = true;
            _receive.Reset();
            return new ValueTask(_receive, _receive.Version);
        }
    }

    /// <summary>Clears the readiness hint before a call that will find out (see <see cref="WaitReadableAsync"/>).</summary>
    public void ClearReadable() => _readable = false;

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var events = Volatile.Read(ref _writeEvents);
            var sent = Send(data.Span, out var errno);
            if (sent >= 0)
            {
                data = data[(int)sent..];
                continue;
            }

            if (errno != Native.EAgain)
            {
                return ValueTask.FromException(Native.Error(errno));
            }

            lock (_lock)
            {
                if (_closed)
                {
                    return ValueTask.FromException(new ObjectDisposedException(nameof(EpollSocket)));
                }

                if (_writeEvents != events)
                {
                    continue; // writable again since the attempt
                }

                _sendBuffer = data;
                _sendPending = true;
                _send.Reset();
                return new ValueTask(_send, _send.Version);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Shuts the connection down in both directions from any thread: what is in flight fails or ends.</summary>
    public void Abort()
    {
        lock (_lock)
        {
            if (!_closed)
            {
                Native.Shutdown(_fd, Native.ShutBoth);
            }
        }
    }

    /// <summary>Sends a FIN after what was sent: the peer reads the end of the stream.</summary>
    public void ShutdownSend()
    {
        lock (_lock)
        {
            if (!_closed)
            {
                Native.Shutdown(_fd, Native.ShutWrite);
            }
        }
    }

    /// <summary>Closes the socket; operations still pending fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        Operation? receive = null, send = null;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            if (_receivePending)
            {
                _receivePending = false;
                receive = _receive;
            }

            if (_sendPending || _connectPending)
            {
                _sendPending = _connectPending = false;
                send = _send;
            }

            if (_loop is not null)
            {
                _loop.Remove(_id, _fd);
            }

            Native.Close(_fd);
        }

        receive?.Complete(0, new ObjectDisposedException(nameof(EpollSocket)));
        send?.Complete(0, new ObjectDisposedException(nameof(EpollSocket)));
    }

    /// <summary>The loop's dispatch: performs what waited for this readiness and completes it (its continuation runs here).</summary>
    internal unsafe void OnEvents(uint events)
    {
        Operation? receive = null, send = null;
        int received = 0;
        Exception? receiveError = null, sendError = null;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            if ((events & (Native.EpollHup | Native.EpollRdHup | Native.EpollErr)) != 0)
            {
                _peerClosed = true;
            }

            if ((events & (Native.EpollIn | Native.EpollHup | Native.EpollRdHup | Native.EpollErr)) != 0)
            {
                if (!_receivePending)
                {
                    _readable = true;
                }
                else if (_waitOnly)
                {
                    _receivePending = false;
                    receive = _receive;
                }
                else
                {
                    var buffer = _receiveBuffer;
                    var read = Receive(buffer.Span, out var errno);
                    if (read >= 0 || errno != Native.EAgain)
                    {
                        _receivePending = false;
                        _receiveBuffer = default;
                        receive = _receive;
                        received = (int)read;
                        receiveError = read < 0 ? Native.Error(errno) : null;
                        _readable = read == buffer.Length && read > 0;
                    }
                }
            }

            if ((events & (Native.EpollOut | Native.EpollHup | Native.EpollErr)) != 0)
            {
                _writeEvents++;
                if (_connectPending)
                {
                    var error = 0;
                    var length = sizeof(int);
                    Native.GetSockOpt(_fd, Native.SolSocket, Native.SoError, &error, &length);
                    if (error != 0 || (events & Native.EpollOut) != 0 || (events & (Native.EpollHup | Native.EpollErr)) != 0)
                    {
                        _connectPending = false;
                        send = _send;
                        sendError = error != 0 ? Native.Error(error)
                            : (events & Native.EpollOut) == 0 ? Native.Error(111) : null;
                    }
                }
                else if (_sendPending)
                {
                    while (!_sendBuffer.IsEmpty)
                    {
                        var sent = Send(_sendBuffer.Span, out var errno);
                        if (sent < 0)
                        {
                            if (errno == Native.EAgain)
                            {
                                break;
                            }

                            sendError = Native.Error(errno);
                            break;
                        }

                        _sendBuffer = _sendBuffer[(int)sent..];
                    }

                    if (_sendBuffer.IsEmpty || sendError is not null)
                    {
                        _sendPending = false;
                        _sendBuffer = default;
                        send = _send;
                    }
                }
            }
        }

        if (send is not null)
        {
            send.Complete(0, sendError);
        }

        receive?.Complete(received, receiveError);
    }

    private static int Open(IPEndPoint endpoint)
    {
        var family = endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? Native.AfInet : Native.AfInet6;
        var fd = Native.Socket(family, Native.SockStream | Native.SockNonBlock | Native.SockCloExec, 0);
        if (fd < 0)
        {
            throw Native.Error(Marshal.GetLastPInvokeError());
        }

        SetNoDelay(fd);
        return fd;
    }

    /// <summary>Sets TCP_NODELAY (small writes go out at once, as Kestrel's and SocketsHttpHandler's do).</summary>
    internal static unsafe void SetNoDelay(int fd)
    {
        var one = 1;
        Native.SetSockOpt(fd, Native.IpProtoTcp, Native.TcpNoDelay, &one, sizeof(int));
    }

    // Starts a connect; null when it completed at once, else the wait for it (registered on a loop either way).
    private unsafe ValueTask? StartConnect(IPEndPoint endpoint, EpollLoop loop)
    {
        Span<byte> address = stackalloc byte[Native.SockAddrSize];
        var length = Native.WriteAddress(endpoint, address);
        int result;
        fixed (byte* pointer = address)
        {
            result = Native.Connect(_fd, pointer, length);
        }

        if (result == 0)
        {
            Register(loop);
            return null;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno != Native.EInProgress)
        {
            throw Native.Error(errno);
        }

        lock (_lock)
        {
            _connectPending = true;
            _send.Reset();
        }

        // The registration reports the connection's state as it is now, so an event is not missed.
        Register(loop);
        return new ValueTask(_send, _send.Version);
    }

    private void Register(EpollLoop loop)
    {
        _loop = loop;
        _id = loop.Add(this, _fd);
    }

    private void Cancel()
    {
        Operation? send = null;
        lock (_lock)
        {
            if (_connectPending)
            {
                _connectPending = false;
                send = _send;
            }
        }

        send?.Complete(0, new OperationCanceledException("the connection attempt was cancelled"));
    }

    private unsafe nint Receive(Span<byte> buffer, out int errno)
    {
        while (true)
        {
            nint read;
            fixed (byte* pointer = buffer)
            {
                read = Native.Recv(_fd, pointer, buffer.Length, 0);
            }

            errno = read < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (errno != Native.EIntr)
            {
                return read;
            }
        }
    }

    private unsafe nint Send(ReadOnlySpan<byte> data, out int errno)
    {
        while (true)
        {
            nint sent;
            fixed (byte* pointer = data)
            {
                sent = Native.Send(_fd, pointer, data.Length, Native.MsgNoSignal);
            }

            errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
            if (errno != Native.EIntr)
            {
                return sent;
            }
        }
    }

    /// <summary>One awaitable operation, reused; its continuation runs where it completes (inline on the loop).</summary>
    private sealed class Operation : IValueTaskSource<int>, IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<int> _core;

        public short Version => _core.Version;

        public void Reset() => _core.Reset();

        public void Complete(int result, Exception? error)
        {
            if (error is null)
            {
                _core.SetResult(result);
            }
            else
            {
                _core.SetException(error);
            }
        }

        public int GetResult(short token) => _core.GetResult(token);

        void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
