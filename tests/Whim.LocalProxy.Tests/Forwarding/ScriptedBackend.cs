using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Whim.LocalProxy.Tests.Forwarding;

/// <summary>One request a <see cref="ScriptedBackend"/> received, and the connection to answer it on.</summary>
internal sealed class Exchange(string head, Stream stream, int connection)
{
    /// <summary>The request head as received (request line and headers, through the empty line).</summary>
    public string Head { get; } = head;

    public Stream Stream { get; } = stream;

    /// <summary>Which accepted connection (1, 2, …) the request came on.</summary>
    public int Connection { get; } = connection;

    /// <summary>The request line's target.</summary>
    public string Target => Head.Split(' ')[1];

    /// <summary>Set to close the connection after the answer.</summary>
    public bool Close { get; set; }

    public Task WriteAsync(string text) => Stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    /// <summary>Reads a request body of <c>Content-Length</c> bytes.</summary>
    public async Task<string> ReadBodyAsync()
    {
        var line = Head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = line is null ? 0 : int.Parse(line["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
        var body = new byte[length];
        await Stream.ReadExactlyAsync(body);
        return Encoding.ASCII.GetString(body);
    }
}

/// <summary>
/// A dev-server stand-in on raw sockets, so a test decides every byte of each response (framing, interim
/// responses, closing while idle, malformed heads). Records each request head and counts connections.
/// </summary>
internal sealed class ScriptedBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<Exchange, Task> _respond;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private int _connections;

    public ScriptedBackend(Func<Exchange, Task> respond)
    {
        _respond = respond;
        _listener.Start();
        _tasks.Add(AcceptAsync());
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Every request head received, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await Task.WhenAll(_tasks.ToArray());
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var index = Interlocked.Increment(ref _connections);
            lock (_tasks)
            {
                _tasks.Add(ServeAsync(socket, index));
            }
        }
    }

    private async Task ServeAsync(Socket socket, int index)
    {
        using var registration = _stop.Token.Register(socket.Dispose);
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            while (await ReadHeadAsync(stream) is { } head)
            {
                Requests.Enqueue(head);
                var exchange = new Exchange(head, stream, index);
                await _respond(exchange);
                if (exchange.Close)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    // Byte by byte, so nothing after the head (a body) is consumed.
    private static async Task<string?> ReadHeadAsync(Stream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }

            head.Add(one[0]);
            if (head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n')
            {
                return Encoding.ASCII.GetString(head.ToArray());
            }
        }
    }
}

/// <summary>A response read off a raw connection: status, headers, the body with its framing removed.</summary>
internal sealed record RawResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Reads one HTTP/1.1 response (Content-Length, chunked, or until close) from <paramref name="stream"/>.</summary>
    public static async Task<RawResponse> ReadAsync(Stream stream, bool toHead = false)
    {
        var headLine = await ReadLineAsync(stream) ?? throw new IOException("the connection closed before a response");
        var status = int.Parse(headLine.AsSpan(9, 3), CultureInfo.InvariantCulture);
        var headers = new List<KeyValuePair<string, string>>();
        while (await ReadLineAsync(stream) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        var response = new RawResponse(status, headers, string.Empty);
        if (toHead || status is 204 or 304)
        {
            return response;
        }

        var body = new StringBuilder();
        if (string.Equals(response.Header("Transfer-Encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var size = int.Parse((await ReadLineAsync(stream))!.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (await ReadLineAsync(stream) is { Length: > 0 })
                    {
                    }

                    break;
                }

                var chunk = new byte[size];
                await stream.ReadExactlyAsync(chunk);
                body.Append(Encoding.ASCII.GetString(chunk));
                await ReadLineAsync(stream);
            }
        }
        else if (response.Header("Content-Length") is { } length)
        {
            var bytes = new byte[int.Parse(length, CultureInfo.InvariantCulture)];
            await stream.ReadExactlyAsync(bytes);
            body.Append(Encoding.ASCII.GetString(bytes));
        }
        else
        {
            using var rest = new MemoryStream();
            await stream.CopyToAsync(rest);
            body.Append(Encoding.ASCII.GetString(rest.ToArray()));
        }

        return response with { Body = body.ToString() };
    }

    /// <summary>One CRLF-terminated line, without the CRLF; null at the end of the stream.</summary>
    public static async Task<string?> ReadLineAsync(Stream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return line.Length == 0 ? null : line.ToString();
            }

            if (one[0] == '\n' && line.Length > 0 && line[^1] == '\r')
            {
                return line.ToString(0, line.Length - 1);
            }

            line.Append((char)one[0]);
        }
    }
}
