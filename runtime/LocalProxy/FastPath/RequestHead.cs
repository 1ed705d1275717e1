using System.Text;

namespace Whim.LocalProxy.FastPath;

/// <summary>What the fast path makes of the bytes a client sent so far.</summary>
internal enum HeadParse
{
    /// <summary>A complete request head the fast path forwards itself.</summary>
    Forwardable,

    /// <summary>No complete head yet: read more.</summary>
    Incomplete,

    /// <summary>Anything else (a body, an upgrade, HTTP/2, a malformed or unusual head): Kestrel and YARP take it.</summary>
    NotForUs,
}

/// <summary>The headers the fast path looks at; every other header is passed on byte for byte.</summary>
internal enum RequestHeader : byte
{
    Other,
    Host,
    Connection,
    ContentLength,
    Origin,
    WhimPort,
    RouterKey,
    ForwardedFor,
    ForwardedHost,
    ForwardedProto,
    ForwardedPrefix,

    // Keep last: RequestHead sizes its index by it.
    Forwarded,
}

/// <summary>
/// A strict parser of HTTP/1.1 request heads for the fast path. It accepts only what it can forward without
/// interpretation: <c>GET</c> or <c>HEAD</c>, an origin-form target of visible ASCII, <c>HTTP/1.1</c>, CRLF line
/// ends, header names of token characters, values of visible ASCII, space and tab, exactly one Host, no body
/// (<c>Content-Length</c> absent or 0, no <c>Transfer-Encoding</c>), no <c>Upgrade</c>, <c>Expect</c>, <c>TE</c>,
/// <c>Trailer</c> or hop-by-hop extras, <c>Connection</c> only <c>keep-alive</c> or <c>close</c>, and at most one of
/// each header the proxy rewrites. Everything else is <see cref="HeadParse.NotForUs"/>: Kestrel parses it (and
/// refuses what is malformed) and YARP forwards it, so the fast path never has to get an edge case right.
/// One instance per connection, reused for each request.
/// </summary>
internal sealed class RequestHead
{
    /// <summary>The longest head the fast path takes; a longer one goes to Kestrel (which allows 32 KB).</summary>
    public const int MaxLength = 8192;

    /// <summary>The most header lines the fast path takes.</summary>
    public const int MaxHeaders = 64;

    private readonly Line[] _headers = new Line[MaxHeaders];

    // The index of the first line of each header kind, or -1: lookups and the one-of-each rule without a scan.
    private readonly int[] _first = new int[(int)RequestHeader.Forwarded + 1];

    /// <summary>True for <c>HEAD</c> (the response has no body), false for <c>GET</c>.</summary>
    public bool IsHead { get; private set; }

    /// <summary>The whole head's length in bytes, through the empty line.</summary>
    public int Length { get; private set; }

    /// <summary>Where the request target starts and how long it is.</summary>
    public (int Start, int Length) Target { get; private set; }

    /// <summary>The client asked to close the connection after this response.</summary>
    public bool Close { get; private set; }

    /// <summary>The number of header lines.</summary>
    public int Count { get; private set; }

    /// <summary>Header line <paramref name="index"/>: which header it is, where the whole line (with CRLF) and where its trimmed value are.</summary>
    public ref readonly Line this[int index] => ref _headers[index];

    /// <summary>The index of the (first) line of <paramref name="header"/>, or -1.</summary>
    public int Find(RequestHeader header) => _first[(int)header];

    /// <summary>Parses the head at the start of <paramref name="data"/>.</summary>
    public HeadParse Parse(ReadOnlySpan<byte> data)
    {
        Count = 0;
        Close = false;
        Array.Fill(_first, -1);
        if (!StartsLikeOurs(data))
        {
            return HeadParse.NotForUs;
        }

        var end = data.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            // A bare LF as a line end is legal for Kestrel's parser but never for this one: let Kestrel see it.
            return data.Length >= MaxLength || data.IndexOf((byte)'\n') >= 0 && !OnlyCrlf(data) ? HeadParse.NotForUs : HeadParse.Incomplete;
        }

        Length = end + 4;
        if (Length > MaxLength)
        {
            return HeadParse.NotForUs;
        }

        var head = data[..Length];
        int methodLength;
        if (head.StartsWith("GET "u8))
        {
            IsHead = false;
            methodLength = 3;
        }
        else if (head.StartsWith("HEAD "u8))
        {
            IsHead = true;
            methodLength = 4;
        }
        else
        {
            return HeadParse.NotForUs;
        }

        var lineEnd = head.IndexOf("\r\n"u8);
        var targetStart = methodLength + 1;
        var space = head[targetStart..lineEnd].IndexOf((byte)' ');
        if (space <= 0 || head[targetStart] != (byte)'/' || !head[(targetStart + space)..lineEnd].SequenceEqual(" HTTP/1.1"u8))
        {
            return HeadParse.NotForUs;
        }

        foreach (var b in head.Slice(targetStart, space))
        {
            if (b is < 0x21 or > 0x7E)
            {
                return HeadParse.NotForUs;
            }
        }

        Target = (targetStart, space);
        var position = lineEnd + 2;
        while (position < Length - 2)
        {
            if (Count == MaxHeaders)
            {
                return HeadParse.NotForUs;
            }

            var line = head[position..];
            var crlf = line.IndexOf("\r\n"u8);
            var colon = line[..crlf].IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                return HeadParse.NotForUs;
            }

            var valueStart = colon + 1;
            var valueEnd = crlf;
            while (valueStart < valueEnd && line[valueStart] is (byte)' ' or (byte)'\t')
            {
                valueStart++;
            }

            while (valueEnd > valueStart && line[valueEnd - 1] is (byte)' ' or (byte)'\t')
            {
                valueEnd--;
            }

            var value = line[valueStart..valueEnd];
            foreach (var b in line[(colon + 1)..crlf])
            {
                if (b is (< 0x20 and not (byte)'\t') or > 0x7E)
                {
                    return HeadParse.NotForUs;
                }
            }

            var header = Classify(line[..colon]);
            switch (header)
            {
                case null:
                    return HeadParse.NotForUs;
                case RequestHeader.ContentLength when !value.SequenceEqual("0"u8):
                    return HeadParse.NotForUs;
                case RequestHeader.Connection:
                    if (Ascii.EqualsIgnoreCase(value, "close"u8))
                    {
                        Close = true;
                    }
                    else if (!Ascii.EqualsIgnoreCase(value, "keep-alive"u8))
                    {
                        return HeadParse.NotForUs;
                    }

                    break;
                case RequestHeader.Other or RequestHeader.ContentLength or RequestHeader.Forwarded:
                    break;
                default:
                    // Host, Origin, the router's and the forwarding headers: at most one of each.
                    if (Find(header.Value) >= 0)
                    {
                        return HeadParse.NotForUs;
                    }

                    break;
            }

            if (_first[(int)header.Value] < 0)
            {
                _first[(int)header.Value] = Count;
            }

            _headers[Count++] = new Line(header.Value, position, crlf + 2, position + valueStart, valueEnd - valueStart);
            position += crlf + 2;
        }

        return Find(RequestHeader.Host) >= 0 ? HeadParse.Forwardable : HeadParse.NotForUs;
    }

    // "GET " or "HEAD ", or the start of one of them: anything else (another method, HTTP/2's preface, a TLS hello)
    // is decided on its first bytes rather than after waiting for a head that may never come.
    private static bool StartsLikeOurs(ReadOnlySpan<byte> data)
    {
        var length = Math.Min(data.Length, 5);
        return "GET "u8.StartsWith(data[..Math.Min(length, 4)]) || "HEAD "u8.StartsWith(data[..length]);
    }

    // Every LF in the data so far is preceded by CR (the head is merely incomplete).
    private static bool OnlyCrlf(ReadOnlySpan<byte> data)
    {
        for (var i = data.IndexOf((byte)'\n'); i >= 0; i = data.IndexOf((byte)'\n'))
        {
            if (i == 0 || data[i - 1] != (byte)'\r')
            {
                return false;
            }

            data = data[(i + 1)..];
        }

        return true;
    }

    // Null for the headers the fast path leaves to Kestrel and YARP.
    private static RequestHeader? Classify(ReadOnlySpan<byte> name)
    {
        switch (name.Length)
        {
            case 2 when Ascii.EqualsIgnoreCase(name, "TE"u8):
                return null;
            case 4 when Ascii.EqualsIgnoreCase(name, "Host"u8):
                return RequestHeader.Host;
            case 6 when Ascii.EqualsIgnoreCase(name, "Origin"u8):
                return RequestHeader.Origin;
            case 6 when Ascii.EqualsIgnoreCase(name, "Expect"u8):
                return null;
            case 7 when Ascii.EqualsIgnoreCase(name, "Upgrade"u8) || Ascii.EqualsIgnoreCase(name, "Trailer"u8):
                return null;
            case 9 when Ascii.EqualsIgnoreCase(name, "Forwarded"u8):
                return RequestHeader.Forwarded;
            case 10 when Ascii.EqualsIgnoreCase(name, "Connection"u8):
                return RequestHeader.Connection;
            case 10 when Ascii.EqualsIgnoreCase(name, "Keep-Alive"u8):
                return null;
            case 11 when Ascii.EqualsIgnoreCase(name, "X-Whim-Port"u8):
                return RequestHeader.WhimPort;
            case 14 when Ascii.EqualsIgnoreCase(name, "Content-Length"u8):
                return RequestHeader.ContentLength;
            case 14 when Ascii.EqualsIgnoreCase(name, "HTTP2-Settings"u8):
                return null;
            case 15 when Ascii.EqualsIgnoreCase(name, "X-Forwarded-For"u8):
                return RequestHeader.ForwardedFor;
            case 16 when Ascii.EqualsIgnoreCase(name, "X-Forwarded-Host"u8):
                return RequestHeader.ForwardedHost;
            case 16 when Ascii.EqualsIgnoreCase(name, "Proxy-Connection"u8):
                return null;
            case 17 when Ascii.EqualsIgnoreCase(name, "X-Forwarded-Proto"u8) :
                return RequestHeader.ForwardedProto;
            case 17 when Ascii.EqualsIgnoreCase(name, "X-Whim-Router-Key"u8):
                return RequestHeader.RouterKey;
            case 17 when Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8):
                return null;
            case 18 when Ascii.EqualsIgnoreCase(name, "X-Forwarded-Prefix"u8):
                return RequestHeader.ForwardedPrefix;
            case 19 when Ascii.EqualsIgnoreCase(name, "Proxy-Authorization"u8):
                return null;
            default:
                return RequestHeader.Other;
        }
    }

    /// <summary>RFC 9110 token characters.</summary>
    public static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            var ok = b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
                || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
                    or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One header line: which header, the whole line's place (CRLF included) and the trimmed value's.</summary>
    internal readonly record struct Line(RequestHeader Header, int LineStart, int LineLength, int ValueStart, int ValueLength);
}
