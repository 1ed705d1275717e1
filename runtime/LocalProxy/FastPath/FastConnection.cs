using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Whim.LocalProxy.Forwarding;
using Whim.LocalProxy.Routing;
using Whim.LocalProxy.Transport;

namespace Whim.LocalProxy.FastPath;

/// <summary>What a client connection on the fast path is waiting for (the timeouts differ).</summary>
internal enum FastPhase
{
    /// <summary>Between requests: Kestrel's keep-alive timeout applies.</summary>
    Idle,

    /// <summary>Part of a request head arrived: Kestrel's request-headers timeout applies.</summary>
    Head,

    /// <summary>Forwarding: the proxy's activity timeout applies to the dev server's silence.</summary>
    Forwarding,
}

/// <summary>The fast path's state of one client connection: its buffers, its kept dev-server connection, its timers.</summary>
internal sealed class FastConnection
{
    private string? _host;
    private byte[]? _hostBytes;
    private (string Host, int Primary) _selectedFor;
    private PortSelection _selection;

    public FastConnection(ConnectionContext context)
    {
        Context = context;
        LocalPort = (context.LocalEndPoint as IPEndPoint)?.Port ?? 0;
        ClientAddress = PreviewHeaders.ClientAddress((context.RemoteEndPoint as IPEndPoint)?.Address);
        Since = Environment.TickCount64;
        Loop = context.Features.Get<EpollConnection>()?.Loop;
    }

    public ConnectionContext Context { get; }

    /// <summary>The epoll loop the connection is on (null on Kestrel's socket transport).</summary>
    public EpollLoop? Loop { get; }

    public RequestHead Head { get; } = new();

    /// <summary>The port this connection came in on (the proxy never forwards to itself).</summary>
    public int LocalPort { get; }

    /// <summary>The client address as <c>X-Forwarded-For</c> carries it.</summary>
    public string ClientAddress { get; }

    /// <summary>A copy of a head that spans buffer segments (Kestrel's are 4 KB); made on first need.</summary>
    public byte[]? HeadCopy { get; set; }

    /// <summary>The request as it goes to the dev server; rented for each request until it is sent.</summary>
    public byte[]? Outgoing { get; set; }

    public int OutgoingLength { get; set; }

    /// <summary>The dev-server connection in use (back in the pool between requests).</summary>
    public UpstreamConnection? Upstream { get; set; }

    public FastPhase Phase { get; private set; }

    /// <summary>When the current phase started, or when the dev server last sent something (<see cref="Environment.TickCount64"/>).</summary>
    public long Since { get; private set; }

    /// <summary>The server is shutting down: finish the response in flight, then close.</summary>
    public bool Draining { get; private set; }

    public void Enter(FastPhase phase)
    {
        Phase = phase;
        Since = Environment.TickCount64;
    }

    /// <summary>The dev server sent something: the activity timeout starts again.</summary>
    public void Touch() => Since = Environment.TickCount64;

    public void RequestDrain()
    {
        Draining = true;
        if (Phase != FastPhase.Forwarding)
        {
            Context.Transport.Input.CancelPendingRead();
        }
    }

    /// <summary>The Host header as a string, reused while a connection keeps sending the same one.</summary>
    public string HostString(ReadOnlySpan<byte> value)
    {
        if (_host is null || !value.SequenceEqual(_hostBytes))
        {
            _hostBytes = value.ToArray();
            _host = System.Text.Encoding.ASCII.GetString(value);
        }

        return _host;
    }

    /// <summary>The port selection for a request without <c>X-Whim-Port</c>, reused while Host and primary port stay the same.</summary>
    public PortSelection Select(PortSelector selector, string method, string host, int primaryPort)
    {
        if (!ReferenceEquals(_selectedFor.Host, host) || _selectedFor.Primary != primaryPort)
        {
            // The fast path takes only origin-form targets (RequestHead checks), which is all the selector looks at.
            _selection = selector.Select(new PreviewRequestTarget(method, false, "/", host, null), primaryPort);
            _selectedFor = (host, primaryPort);
        }

        return _selection;
    }

    /// <summary>Returns the request buffer once the request is sent.</summary>
    public void ReturnOutgoing()
    {
        if (Outgoing is { } outgoing)
        {
            Outgoing = null;
            ArrayPool<byte>.Shared.Return(outgoing);
        }
    }

    /// <summary>Returns the rented buffers and closes a dev-server connection cut in the middle of an exchange.</summary>
    public void Release()
    {
        if (Upstream is { } upstream)
        {
            Upstream = null;
            upstream.Dispose();
        }

        ReturnOutgoing();
    }
}
