using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Whim.LocalProxy.Transport;

/// <summary>
/// Kestrel's transport for the proxy's TCP endpoints on <see cref="EpollLoop"/>s instead of .NET's socket engine:
/// connections are accepted, read and written on the loops, and Kestrel's middleware (the fast path first) runs
/// inline there. Everything above the transport (HTTP/1.1, HTTP/2, WebSockets, YARP) is Kestrel's as before.
/// </summary>
internal sealed class EpollTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    private readonly MemoryPool<byte> _pool;
    private readonly long _inputLimit;
    private readonly long _outputLimit;
    private readonly List<EpollListener> _listeners = [];

    public EpollTransportFactory(IOptions<KestrelServerOptions> kestrel, IServiceProvider services)
    {
        _pool = services.GetService<IMemoryPoolFactory<byte>>()?.Create(new MemoryPoolOptions { Owner = "whim-epoll" }) ?? MemoryPool<byte>.Shared;
        // Kestrel's own defaults for how much a connection may buffer each way (1 MB in, 64 KB out).
        _inputLimit = kestrel.Value.Limits.MaxRequestBufferSize ?? 0;
        _outputLimit = kestrel.Value.Limits.MaxResponseBufferSize ?? 0;
    }

    /// <summary>The listeners bound and not yet unbound.</summary>
    public IReadOnlyList<EpollListener> Listeners
    {
        get
        {
            lock (_listeners)
            {
                return [.. _listeners];
            }
        }
    }

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public void Dispose()
    {
        if (_pool != MemoryPool<byte>.Shared)
        {
            _pool.Dispose();
        }
    }

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var ip = (IPEndPoint)endpoint;
        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (ip.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(ip);
            socket.Listen(512);
            socket.Blocking = false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var listener = new EpollListener(socket, _pool, _inputLimit, _outputLimit, Unbound);
        lock (_listeners)
        {
            _listeners.Add(listener);
        }

        return new ValueTask<IConnectionListener>(listener);
    }

    private void Unbound(EpollListener listener)
    {
        lock (_listeners)
        {
            _listeners.Remove(listener);
        }
    }
}

/// <summary>A listening socket on the first loop; each accepted connection goes to the next loop in turn.</summary>
internal sealed partial class EpollListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly EpollSocket _accepting;
    private readonly MemoryPool<byte> _pool;
    private readonly long _inputLimit;
    private readonly long _outputLimit;
    /// <summary>How long accepting pauses when the process is out of descriptors or memory.</summary>
    private static readonly TimeSpan AcceptPause = TimeSpan.FromMilliseconds(100);

    private readonly Action<EpollListener> _onUnbound;
    private volatile bool _unbound;

    public EpollListener(Socket socket, MemoryPool<byte> pool, long inputLimit, long outputLimit, Action<EpollListener> onUnbound)
    {
        _onUnbound = onUnbound;
        _socket = socket;
        _pool = pool;
        _inputLimit = inputLimit;
        _outputLimit = outputLimit;
        EndPoint = socket.LocalEndPoint!;
        // Its own descriptor, so that closing the listener is ours to order (the Socket object closes the original).
        var fd = Dup((int)socket.SafeHandle.DangerousGetHandle());
        var errno = Marshal.GetLastPInvokeError();
        socket.Dispose();
        if (fd < 0)
        {
            throw Native.Error(errno);
        }

        _accepting = EpollSocket.Adopt(fd, EpollLoop.Shared[0]);
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        var address = new byte[Native.SockAddrSize];
        while (!_unbound)
        {
            _accepting.ClearReadable();
            var fd = Accept(address, out var errno);

            if (fd >= 0)
            {
                EpollSocket.SetNoDelay(fd);
                var remote = Native.ReadAddress(address) ?? new IPEndPoint(IPAddress.None, 0);
                var connection = new EpollConnection(EpollSocket.Adopt(fd, EpollLoop.Next()), LocalAddress(fd), remote, _pool, _inputLimit, _outputLimit);
                connection.Start();
                return connection;
            }

            if (errno is Native.EAgain or Native.EIntr or 103 /* ECONNABORTED */ or 71 /* EPROTO */)
            {
                if (errno == Native.EAgain)
                {
                    try
                    {
                        await _accepting.WaitReadableAsync();
                    }
                    catch (ObjectDisposedException)
                    {
                        return null;
                    }
                }

                continue;
            }

            if (_unbound || errno == 9 /* EBADF */ || errno == 22 /* EINVAL: shut down */)
            {
                return null;
            }

            // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the connection waits in the backlog
            // while this listener pauses, as nginx does; an exception here would end Kestrel's accept loop for good.
            await Task.Delay(AcceptPause, cancellationToken);
        }

        return null;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _unbound = true;
        _accepting.Dispose();
        _onUnbound(this);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => UnbindAsync();

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);

    private unsafe int Accept(byte[] address, out int errno)
    {
        fixed (byte* pointer = address)
        {
            var length = address.Length;
            var fd = Native.Accept4(_accepting.Fd, pointer, &length, Native.SockNonBlock | Native.SockCloExec);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            return fd;
        }
    }

    private unsafe EndPoint LocalAddress(int fd)
    {
        var address = stackalloc byte[Native.SockAddrSize];
        var length = Native.SockAddrSize;
        return Native.GetSockName(fd, address, &length) == 0 && Native.ReadAddress(new ReadOnlySpan<byte>(address, length)) is { } local
            ? local
            : EndPoint;
    }
}

/// <summary>
/// One accepted connection: two pipes between Kestrel and the socket, and two loops moving bytes. Both pipes
/// schedule inline, so a request is read, handled and its response sent on the loop's thread.
/// </summary>
internal sealed class EpollConnection : ConnectionContext, IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature,
    IMemoryPoolFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature
{
    private const int MinimumReceive = 2048;
    private static long s_lastId;

    private readonly EpollSocket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IDictionary<object, object?>? _items;
    private string? _id;
    private volatile ConnectionAbortedException? _abortReason;
    private int _loopsRunning = 2;
    private int _disposed;

    public EpollConnection(EpollSocket socket, EndPoint local, EndPoint remote, MemoryPool<byte> pool, long inputLimit, long outputLimit)
    {
        _socket = socket;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        MemoryPool = pool;
        var segment = Math.Min(pool.MaxBufferSize, 4096);
        _input = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, inputLimit, inputLimit / 2, segment, useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, outputLimit, outputLimit / 2, segment, useSynchronizationContext: false));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        ConnectionClosed = _closed.Token;
        var features = new FeatureCollection(6);
        features.Set<IConnectionIdFeature>(this);
        features.Set<IConnectionTransportFeature>(this);
        features.Set<IConnectionItemsFeature>(this);
        features.Set<IMemoryPoolFeature>(this);
        features.Set<IConnectionLifetimeFeature>(this);
        features.Set<IConnectionEndPointFeature>(this);
        features.Set(this);
        Features = features;
    }

    public override string ConnectionId
    {
        get => _id ??= "E" + Interlocked.Increment(ref s_lastId).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
        set => _id = value;
    }

    public override IFeatureCollection Features { get; }

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed { get; set; }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public MemoryPool<byte> MemoryPool { get; }

    /// <summary>The loop the connection's socket is on (the fast path opens its dev-server connections there too).</summary>
    public EpollLoop Loop => _socket.Loop;

    public void Start()
    {
        _ = ReceiveAsync();
        _ = SendAsync();
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _abortReason ??= abortReason;
        _output.Reader.CancelPendingRead();
        _socket.Abort();
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Transport.Input.Complete();
        Transport.Output.Complete();
        await _done.Task;
        _socket.Dispose();
        _closed.Dispose();
    }

    private async Task ReceiveAsync()
    {
        Exception? error = null;
        var writer = _input.Writer;
        try
        {
            while (true)
            {
                var buffer = writer.GetMemory(MinimumReceive);
                var read = await _socket.ReceiveAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                var flushed = await writer.FlushAsync();
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
            error = _abortReason ?? (Exception)new ConnectionResetException(e.Message, e);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            error = _abortReason ?? (Exception)new ConnectionAbortedException(e.Message, e);
        }
        finally
        {
            writer.Complete(error ?? _abortReason);
            // Kestrel's transports signal it off the I/O thread: its callbacks (request aborts) may take a while.
            ThreadPool.UnsafeQueueUserWorkItem(static state => ((EpollConnection)state!).CancelClosed(), this);
            LoopEnded();
        }
    }

    private async Task SendAsync()
    {
        Exception? error = null;
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                if (result.IsCanceled)
                {
                    break;
                }

                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await _socket.SendAsync(segment);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            error = e;
        }
        finally
        {
            reader.Complete(error);
            // Done sending (the application completed its output, or the connection broke): the receive loop ends too.
            _socket.Abort();
            LoopEnded();
        }
    }

    private void CancelClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void LoopEnded()
    {
        if (Interlocked.Decrement(ref _loopsRunning) == 0)
        {
            _done.TrySetResult();
        }
    }

    string IConnectionIdFeature.ConnectionId
    {
        get => ConnectionId;
        set => ConnectionId = value;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
