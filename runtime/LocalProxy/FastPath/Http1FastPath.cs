using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Whim.LocalProxy.Forwarding;
using Whim.LocalProxy.Routing;

namespace Whim.LocalProxy.FastPath;

/// <summary>
/// The HTTP/1.1 fast path: Kestrel connection middleware that forwards plain <c>GET</c> and <c>HEAD</c> requests to
/// the dev server itself, over raw loopback sockets, without building an <c>HttpContext</c>, an
/// <c>HttpRequestMessage</c> or YARP's pipeline for them. It makes the same decisions as <see cref="PreviewProxy"/>
/// (the same <see cref="PortSelector"/>, port table and header rules, <see cref="PreviewHeaders"/>) and hands the
/// connection to Kestrel and YARP, from the request it cannot take onwards, for everything else: request bodies,
/// WebSocket and other upgrades, HTTP/2, refusals, "not listening yet" pages, the proxy's own endpoints, heads it
/// does not parse strictly, and any request whose dev server did not answer with a head it relays (nothing has
/// reached the client then, and GET and HEAD may be sent again). Once the client has the response head, the body
/// streams as it comes (no buffering; a dev server's close-delimited body is sent on chunked).
/// </summary>
internal sealed partial class Http1FastPath : IDisposable
{
    private const string Get = "GET";
    private const string Head = "HEAD";

    private readonly PortTableWatcher _table;
    private readonly PortSelector _selector;
    private readonly byte[]? _routerKey;
    private readonly UpstreamPool _pool;
    private readonly ILogger<Http1FastPath> _logger;
    private readonly long _keepAliveMs;
    private readonly long _headersMs;
    private readonly long _activityMs;
    private readonly ConcurrentDictionary<FastConnection, byte> _live = new();
    private readonly Timer _sweeper;
    private long _forwarded;
    private long _handedOver;

    public Http1FastPath(PortTableWatcher table, PortSelector selector, RouterKey routerKey, IOptions<LocalProxyOptions> options, IOptions<KestrelServerOptions> kestrel, ILogger<Http1FastPath> logger)
    {
        _table = table;
        _selector = selector;
        _routerKey = routerKey.Value is { Length: > 0 } key ? Encoding.UTF8.GetBytes(key) : null;
        _pool = new UpstreamPool(options.Value.ConnectTimeout);
        _logger = logger;
        _keepAliveMs = (long)kestrel.Value.Limits.KeepAliveTimeout.TotalMilliseconds;
        _headersMs = (long)kestrel.Value.Limits.RequestHeadersTimeout.TotalMilliseconds;
        _activityMs = (long)options.Value.ActivityTimeout.TotalMilliseconds;
        _sweeper = new Timer(static state => ((Http1FastPath)state!).Sweep(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    private enum Step
    {
        Incomplete,
        HandOver,
        Forward,
    }

    private enum Outcome
    {
        Forwarded,
        Close,
        HandOver,
    }

    /// <summary>Requests the fast path forwarded itself.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Connections handed to Kestrel and YARP.</summary>
    public long HandedOver => Interlocked.Read(ref _handedOver);

    /// <summary>The connection middleware: serves the connection, or hands it (from the request it cannot take) to <paramref name="next"/>.</summary>
    public async Task OnConnectionAsync(ConnectionContext context, ConnectionDelegate next)
    {
        // A TLS endpoint (none by default: the router terminates TLS) stays with Kestrel and YARP, which know the scheme
        // X-Forwarded-Proto must carry. Ahead of the TLS middleware, the handshake's first byte hands it over anyway.
        if (context.Features.Get<ITlsHandshakeFeature>() is not null)
        {
            await next(context);
            return;
        }

        if (await ServeAsync(new FastConnection(context)))
        {
            Interlocked.Increment(ref _handedOver);
            await next(context);
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        _pool.Dispose();
    }

    // True when Kestrel is to take the connection over, with the unconsumed input starting at a request.
    private async Task<bool> ServeAsync(FastConnection connection)
    {
        var input = connection.Context.Transport.Input;
        _live.TryAdd(connection, 0);
        // Kestrel asks its connections to close on shutdown through this feature (graceful drain).
        var lifetime = connection.Context.Features.Get<IConnectionLifetimeNotificationFeature>();
        using var drain = (lifetime?.ConnectionClosedRequested ?? CancellationToken.None).Register(static state => ((FastConnection)state!).RequestDrain(), connection);
        try
        {
            connection.Enter(FastPhase.Idle);
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                if (result.IsCanceled || connection.Draining || (buffer.IsEmpty && result.IsCompleted))
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                    return false;
                }

                var step = Prepare(connection, buffer, out var target, out var port);
                if (step == Step.Incomplete && !result.IsCompleted)
                {
                    if (connection.Phase == FastPhase.Idle)
                    {
                        connection.Enter(FastPhase.Head);
                    }

                    input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                if (step != Step.Forward)
                {
                    // The same bytes, unread, for Kestrel (examined = consumed, so its first read returns at once).
                    input.AdvanceTo(buffer.Start);
                    return true;
                }

                connection.Enter(FastPhase.Forwarding);
                var outcome = await ForwardAsync(connection, input, buffer, target!, port);
                if (outcome == Outcome.HandOver)
                {
                    input.AdvanceTo(buffer.Start);
                    return true;
                }

                if (outcome == Outcome.Close || connection.Draining)
                {
                    return false;
                }

                connection.Enter(FastPhase.Idle);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ConnectionAbortedException or ConnectionResetException or InvalidDataException or OperationCanceledException or ObjectDisposedException)
        {
            // The client or the dev server went away, or a body's framing broke mid-way: the connection is cut, as on the YARP path.
            Log.Cut(_logger, e.GetType().Name, e.Message);
            return false;
        }
        finally
        {
            _live.TryRemove(connection, out _);
            connection.Release();
        }
    }

    // Parses the head, selects the port and writes the request as it goes to the dev server (all synchronous: spans).
    private Step Prepare(FastConnection connection, in ReadOnlySequence<byte> buffer, out IPAddress? target, out int port)
    {
        target = null;
        port = 0;
        var data = buffer.FirstSpan;
        var head = connection.Head;
        var parse = head.Parse(data);
        if (parse == HeadParse.Incomplete && !buffer.IsSingleSegment)
        {
            var copy = connection.HeadCopy ??= new byte[RequestHead.MaxLength];
            var length = (int)Math.Min(buffer.Length, RequestHead.MaxLength);
            buffer.Slice(0, length).CopyTo(copy);
            data = copy.AsSpan(0, length);
            parse = head.Parse(data);
        }

        if (parse != HeadParse.Forwardable)
        {
            return parse == HeadParse.Incomplete ? Step.Incomplete : Step.HandOver;
        }

        var method = head.IsHead ? Head : Get;
        var host = connection.HostString(ValueOf(data, head, head.Find(RequestHeader.Host)));
        var routes = _table.Current;
        var portHeaderIndex = head.Find(RequestHeader.WhimPort);
        var selection = portHeaderIndex < 0
            ? connection.Select(_selector, method, host, routes.PrimaryPort)
            : _selector.Select(new PreviewRequestTarget(method, false, "/", host, Encoding.ASCII.GetString(ValueOf(data, head, portHeaderIndex))), routes.PrimaryPort);
        if (selection.Kind == SelectionKind.Refused || selection.Port == 0 || selection.Port == connection.LocalPort
            || (selection.Kind == SelectionKind.Primary && MayBeOwnEndpoint(data.Slice(head.Target.Start, head.Target.Length))))
        {
            return Step.HandOver;
        }

        var route = routes.Find(selection.Port);
        if (routes.Loaded && (route is null || !route.Ready))
        {
            return Step.HandOver;
        }

        port = selection.Port;
        target = route?.Target ?? IPAddress.Loopback;
        WriteRequest(connection, data, host, port);
        return Step.Forward;
    }

    // /healthz, /readyz and /metrics on a bare host are the proxy's own (Kestrel decodes %-escapes: so may they be).
    private static bool MayBeOwnEndpoint(ReadOnlySpan<byte> target)
    {
        var query = target.IndexOf((byte)'?');
        var path = query < 0 ? target : target[..query];
        return path.IndexOf((byte)'%') >= 0 || path.SequenceEqual("/healthz"u8) || path.SequenceEqual("/readyz"u8) || path.SequenceEqual("/metrics"u8);
    }

    private void WriteRequest(FastConnection connection, ReadOnlySpan<byte> data, string host, int port)
    {
        var head = connection.Head;
        // Room for the head twice (the forwarded values repeat at most what the client sent) and the proxy's own lines.
        var outgoing = connection.Outgoing = ArrayPool<byte>.Shared.Rent((2 * head.Length) + 1024);
        var writer = new SpanWriter(outgoing);
        var addresses = PortAddresses.For(port);

        var keyIndex = head.Find(RequestHeader.RouterKey);
        var trusted = _routerKey is not null && keyIndex >= 0 && CryptographicOperations.FixedTimeEquals(ValueOf(data, head, keyIndex), _routerKey);
        var publicHost = (trusted ? First(data, head, RequestHeader.ForwardedHost) : null) ?? host;
        var publicProto = (trusted ? First(data, head, RequestHeader.ForwardedProto) : null) ?? "http";
        var prefix = trusted ? First(data, head, RequestHeader.ForwardedPrefix) : null;
        var priorForIndex = trusted ? head.Find(RequestHeader.ForwardedFor) : -1;

        // The request line as the client sent it (GET|HEAD, an origin-form target, HTTP/1.1), then Host.
        writer.Write(data[..(data.IndexOf("\r\n"u8) + 2)]);
        writer.Write(addresses.HostLine);
        for (var i = 0; i < head.Count; i++)
        {
            ref readonly var line = ref head[i];
            switch (line.Header)
            {
                case RequestHeader.Other or RequestHeader.ContentLength:
                    writer.Write(data.Slice(line.LineStart, line.LineLength));
                    break;
                case RequestHeader.Origin:
                    var origin = Encoding.ASCII.GetString(data.Slice(line.ValueStart, line.ValueLength));
                    writer.Write(PreviewHeaders.IsOwnOrigin(origin, publicHost) ? addresses.OriginLine : data.Slice(line.LineStart, line.LineLength));
                    break;
                default:
                    // Host, Connection (hop-by-hop), the router's headers and client-sent forwarding headers: replaced or dropped.
                    break;
            }
        }

        writer.Write("X-Forwarded-For: "u8);
        if (priorForIndex >= 0 && ValueOf(data, head, priorForIndex) is { Length: > 0 } priorFor)
        {
            writer.Write(priorFor);
            writer.Write(", "u8);
        }

        writer.WriteAscii(connection.ClientAddress);
        writer.Write("\r\nX-Forwarded-Host: "u8);
        writer.WriteAscii(publicHost);
        writer.Write("\r\nX-Forwarded-Proto: "u8);
        writer.WriteAscii(publicProto);
        if (!string.IsNullOrEmpty(prefix))
        {
            writer.Write("\r\nX-Forwarded-Prefix: "u8);
            writer.WriteAscii(prefix);
        }

        writer.Write("\r\n\r\n"u8);
        connection.OutgoingLength = writer.Position;
    }

    private static ReadOnlySpan<byte> ValueOf(ReadOnlySpan<byte> data, RequestHead head, int index) =>
        data.Slice(head[index].ValueStart, head[index].ValueLength);

    private static string? First(ReadOnlySpan<byte> data, RequestHead head, RequestHeader header)
    {
        var index = head.Find(header);
        return index < 0 ? null : PreviewHeaders.First(Encoding.ASCII.GetString(ValueOf(data, head, index)));
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ForwardAsync(FastConnection connection, PipeReader input, ReadOnlySequence<byte> buffer, IPAddress target, int port)
    {
        var upstream = _pool.Take(target, port, connection.Loop);
        int filled;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                if (upstream is null)
                {
                    try
                    {
                        upstream = await _pool.ConnectAsync(target, port, connection.Loop, connection.Context.ConnectionClosed);
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException or HttpRequestException)
                    {
                        // YARP tries again and answers "not listening yet".
                        return Outcome.HandOver;
                    }
                }

                connection.Upstream = upstream;
                filled = await ExchangeAsync(connection, upstream);
                if (filled > 0)
                {
                    break;
                }

                connection.Upstream = null;
                var kept = upstream.Used;
                upstream.Dispose();
                upstream = null;
                if (!kept || attempt > 0)
                {
                    return Outcome.HandOver;
                }

                // A kept connection the dev server had closed while idle: once more on a new one.
            }
        }
        finally
        {
            connection.ReturnOutgoing();
        }

        // Committed: the client gets this response (counted before any of it reaches the client).
        input.AdvanceTo(buffer.GetPosition(connection.Head.Length));
        Interlocked.Increment(ref _forwarded);
        PreviewProxy.CountForwarded();
        var close = connection.Head.Close || connection.Draining;
        var reusable = await RelayAsync(connection, upstream, filled, port, close);
        connection.Upstream = null;
        if (reusable)
        {
            // Back to the pool at once: an idle client connection holds no dev-server connection.
            upstream.Used = true;
            _pool.Return(upstream);
        }
        else
        {
            upstream.Dispose();
        }

        return close ? Outcome.Close : Outcome.Forwarded;
    }

    // Sends the request and reads the response head (skipping 1xx); the bytes received so far, or 0 when the dev
    // server did not answer with a head the fast path relays.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ExchangeAsync(FastConnection connection, UpstreamConnection upstream)
    {
        var socket = upstream.Socket;
        var filled = 0;
        try
        {
            await socket.SendAsync(connection.Outgoing.AsMemory(0, connection.OutgoingLength));

            while (true)
            {
                if (filled == upstream.Buffer.Length && !upstream.Grow(filled))
                {
                    return 0;
                }

                var read = await socket.ReceiveAsync(upstream.Buffer.AsMemory(filled));
                if (read == 0)
                {
                    return 0;
                }

                filled += read;
                connection.Touch();
                while (true)
                {
                    if (!upstream.Head.TryParse(upstream.Buffer.AsSpan(0, filled), connection.Head.IsHead, out var complete))
                    {
                        if (complete)
                        {
                            return 0;
                        }

                        break;
                    }

                    if (upstream.Head.Status >= 200)
                    {
                        return filled;
                    }

                    if (upstream.Head.Status == 101)
                    {
                        return 0;
                    }

                    // An interim response (100, 103): not passed on, as SocketsHttpHandler does not.
                    var length = upstream.Head.Length;
                    upstream.Buffer.AsSpan(length, filled - length).CopyTo(upstream.Buffer);
                    filled -= length;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return 0;
        }
    }

    // Writes the response head and streams the body; true when the dev-server connection can carry another request.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> RelayAsync(FastConnection connection, UpstreamConnection upstream, int filled, int port, bool close)
    {
        var output = connection.Context.Transport.Output;
        var head = upstream.Head;
        var socket = upstream.Socket;
        WriteResponseHead(output, upstream.Buffer.AsSpan(0, head.Length), head, port, close);
        var reusable = head.Reusable;
        var extra = upstream.Buffer.AsMemory(head.Length, filled - head.Length);
        switch (head.Framing)
        {
            case BodyFraming.None:
                reusable &= extra.IsEmpty;
                await FlushAsync(output);
                return reusable;

            case BodyFraming.Length:
                var remaining = head.ContentLength;
                var take = (int)Math.Min(extra.Length, remaining);
                output.Write(extra.Span[..take]);
                reusable &= take == extra.Length;
                remaining -= take;
                await FlushAsync(output);
                while (remaining > 0)
                {
                    var memory = output.GetMemory(4096);
                    memory = memory[..(int)Math.Min(memory.Length, remaining)];
                    var read = await socket.ReceiveAsync(memory);
                    if (read == 0)
                    {
                        throw new IOException("the dev server closed the connection before the end of the body");
                    }

                    connection.Touch();
                    output.Advance(read);
                    remaining -= read;
                    await FlushAsync(output);
                }

                return reusable;

            case BodyFraming.Chunked:
                var chunked = default(ChunkedBody);
                chunked.Reset();
                var used = chunked.Advance(extra.Span);
                output.Write(extra.Span[..used]);
                reusable &= used == extra.Length;
                await FlushAsync(output);
                while (!chunked.Done)
                {
                    var memory = output.GetMemory(4096);
                    var read = await socket.ReceiveAsync(memory);
                    if (read == 0)
                    {
                        throw new IOException("the dev server closed the connection inside a chunked body");
                    }

                    connection.Touch();
                    used = chunked.Advance(memory.Span[..read]);
                    reusable &= used == read;
                    output.Advance(used);
                    await FlushAsync(output);
                }

                return reusable;

            default:
                // Until the dev server closes: sent on chunked, so the client's connection stays open.
                if (!extra.IsEmpty)
                {
                    WriteChunk(output, extra.Span);
                }

                await FlushAsync(output);
                while (true)
                {
                    var read = await socket.ReceiveAsync(upstream.Buffer);
                    connection.Touch();
                    if (read == 0)
                    {
                        output.Write("0\r\n\r\n"u8);
                        await FlushAsync(output);
                        return false;
                    }

                    WriteChunk(output, upstream.Buffer.AsSpan(0, read));
                    await FlushAsync(output);
                }
        }
    }

    private static async ValueTask FlushAsync(PipeWriter output)
    {
        var flushed = await output.FlushAsync();
        if (flushed.IsCompleted || flushed.IsCanceled)
        {
            throw new ConnectionAbortedException("the client went away");
        }
    }

    private static void WriteChunk(PipeWriter output, ReadOnlySpan<byte> data)
    {
        Span<byte> size = stackalloc byte[16];
        data.Length.TryFormat(size, out var digits, "x", System.Globalization.CultureInfo.InvariantCulture);
        output.Write(size[..digits]);
        output.Write("\r\n"u8);
        output.Write(data);
        output.Write("\r\n"u8);
    }

    // "HTTP/1.1 <status and reason as sent>", the headers minus hop-by-hop ones, Location made relative when it
    // points at the dev server itself, and the framing and Connection lines the proxy adds.
    private static void WriteResponseHead(PipeWriter output, ReadOnlySpan<byte> source, ResponseHead head, int port, bool close)
    {
        var span = output.GetSpan(source.Length + 64);
        var writer = new SpanWriter(span);
        var statusEnd = source.IndexOf("\r\n"u8) + 2;
        writer.Write("HTTP/1.1 "u8);
        writer.Write(source[9..statusEnd]);
        var position = statusEnd;
        while (position < head.Length - 2)
        {
            var line = source[position..];
            var lineLength = line.IndexOf("\r\n"u8) + 2;
            var name = line[..line.IndexOf((byte)':')];
            if (ResponseHead.IsHopByHop(name))
            {
                // dropped
            }
            else if (position + name.Length < head.Location.Start && head.Location.Start < position + lineLength
                && PreviewHeaders.RelativeLocation(Encoding.Latin1.GetString(source.Slice(head.Location.Start, head.Location.Length)), port) is { } relative)
            {
                writer.Write("Location: "u8);
                writer.WriteLatin1(relative);
                writer.Write("\r\n"u8);
            }
            else
            {
                writer.Write(line[..lineLength]);
            }

            position += lineLength;
        }

        if (head.Framing == BodyFraming.UntilClose)
        {
            writer.Write("Transfer-Encoding: chunked\r\n"u8);
        }

        if (close)
        {
            writer.Write("Connection: close\r\n"u8);
        }

        writer.Write("\r\n"u8);
        output.Advance(writer.Position);
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        foreach (var connection in _live.Keys)
        {
            var limit = connection.Phase switch
            {
                FastPhase.Idle => _keepAliveMs,
                FastPhase.Head => _headersMs,
                _ => _activityMs,
            };
            if (now - connection.Since > limit)
            {
                Log.TimedOut(_logger, connection.Phase.ToString());
                connection.Context.Abort(new ConnectionAbortedException($"{connection.Phase} timeout"));
                connection.Upstream?.Abort();
            }
        }

        _pool.CloseIdle(now);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, EventName = "FastPathCut", Level = LogLevel.Debug, Message = "Fast-path connection cut: {Error}: {Message}")]
        public static partial void Cut(ILogger logger, string error, string message);

        [LoggerMessage(EventId = 11, EventName = "FastPathTimedOut", Level = LogLevel.Information, Message = "Fast-path connection closed: {Phase} timeout")]
        public static partial void TimedOut(ILogger logger, string phase);
    }

    /// <summary>Appends bytes to a span.</summary>
    private ref struct SpanWriter(Span<byte> span)
    {
        private readonly Span<byte> _span = span;

        public int Position { get; private set; }

        public void Write(scoped ReadOnlySpan<byte> data)
        {
            data.CopyTo(_span[Position..]);
            Position += data.Length;
        }

        public void WriteAscii(string text) => Position += Encoding.ASCII.GetBytes(text, _span[Position..]);

        public void WriteLatin1(string text) => Position += Encoding.Latin1.GetBytes(text, _span[Position..]);
    }
}
