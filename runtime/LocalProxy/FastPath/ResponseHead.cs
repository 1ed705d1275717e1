using System.Buffers.Text;
using System.Text;

namespace Whim.LocalProxy.FastPath;

/// <summary>How a response's body ends.</summary>
internal enum BodyFraming
{
    /// <summary>No body (a response to HEAD, 204, 304).</summary>
    None,

    /// <summary><c>Content-Length</c> bytes.</summary>
    Length,

    /// <summary><c>Transfer-Encoding: chunked</c>, passed through as it is.</summary>
    Chunked,

    /// <summary>Neither: the body ends when the dev server closes; sent on to the client chunked.</summary>
    UntilClose,
}

/// <summary>
/// A strict parser of a dev server's response head for the fast path: <c>HTTP/1.x</c>, a three-digit status,
/// CRLF line ends, token header names, no folded lines, one consistent <c>Content-Length</c> or
/// <c>Transfer-Encoding: chunked</c> (not both). Anything it does not accept is not relayed: the fast path hands the
/// request to YARP instead (nothing has reached the client yet). One instance per upstream connection.
/// </summary>
internal sealed class ResponseHead
{
    /// <summary>The longest head taken (SocketsHttpHandler's default limit).</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>The status code.</summary>
    public int Status { get; private set; }

    /// <summary>The head's length, through the empty line.</summary>
    public int Length { get; private set; }

    /// <summary>How the body ends.</summary>
    public BodyFraming Framing { get; private set; }

    /// <summary>The <c>Content-Length</c>, for <see cref="BodyFraming.Length"/>.</summary>
    public long ContentLength { get; private set; }

    /// <summary>The connection can carry another request after this response (HTTP/1.1, no <c>Connection: close</c>).</summary>
    public bool Reusable { get; private set; }

    /// <summary>Where <c>Location</c>'s value is (start, length), or (-1, 0).</summary>
    public (int Start, int Length) Location { get; private set; }

    /// <summary>
    /// Parses the head at the start of <paramref name="data"/>. Returns false with <paramref name="complete"/> false
    /// when more bytes are needed, false with it true when the head is not one the fast path relays.
    /// </summary>
    public bool TryParse(ReadOnlySpan<byte> data, bool requestWasHead, out bool complete)
    {
        complete = false;
        var end = data.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            complete = data.Length >= MaxLength;
            return false;
        }

        complete = true;
        Length = end + 4;
        var head = data[..Length];
        if (head.Length < 14 || !head.StartsWith("HTTP/1."u8) || head[7] is not ((byte)'0' or (byte)'1') || head[8] != (byte)' '
            || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out var digits) || digits != 3 || status < 100
            || head[12] is not ((byte)' ' or (byte)'\r'))
        {
            return false;
        }

        Status = status;
        var http11 = head[7] == (byte)'1';
        var close = !http11;
        var chunked = false;
        var otherCoding = false;
        long length = -1;
        Location = (-1, 0);
        var position = head.IndexOf("\r\n"u8) + 2;
        while (position < Length - 2)
        {
            var line = head[position..];
            var crlf = line.IndexOf("\r\n"u8);
            var colon = line[..crlf].IndexOf((byte)':');
            if (colon <= 0 || !RequestHead.IsToken(line[..colon]))
            {
                return false;
            }

            var value = line[(colon + 1)..crlf].Trim(" \t"u8);
            if (value.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
            {
                return false;
            }

            var name = line[..colon];
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long parsed, out var used) || used != value.Length || parsed < 0 || (length >= 0 && length != parsed))
                {
                    return false;
                }

                length = parsed;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                if (Ascii.EqualsIgnoreCase(value, "chunked"u8) && !chunked)
                {
                    chunked = true;
                }
                else
                {
                    otherCoding = true;
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                if (ContainsToken(value, "close"u8))
                {
                    close = true;
                }
                else if (!http11 && ContainsToken(value, "keep-alive"u8))
                {
                    close = false;
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Location"u8))
            {
                if (Location.Start >= 0)
                {
                    return false;
                }

                var valueStart = colon + 1;
                while (line[valueStart] is (byte)' ' or (byte)'\t')
                {
                    valueStart++;
                }

                Location = (position + valueStart, value.Length);
            }

            position += crlf + 2;
        }

        // Both framings, or a coding the fast path does not pass through: YARP decides.
        if (otherCoding || (chunked && length >= 0))
        {
            return false;
        }

        if (requestWasHead || status is 204 or 304 || status < 200)
        {
            Framing = BodyFraming.None;
        }
        else if (chunked)
        {
            Framing = BodyFraming.Chunked;
        }
        else if (length >= 0)
        {
            Framing = BodyFraming.Length;
            ContentLength = length;
        }
        else
        {
            Framing = BodyFraming.UntilClose;
            close = true;
        }

        Reusable = !close;
        return true;
    }

    /// <summary>True for a response header line the proxy does not pass on (hop-by-hop).</summary>
    public static bool IsHopByHop(ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(name, "Connection"u8) || Ascii.EqualsIgnoreCase(name, "Keep-Alive"u8)
        || Ascii.EqualsIgnoreCase(name, "Proxy-Connection"u8) || Ascii.EqualsIgnoreCase(name, "Upgrade"u8);

    private static bool ContainsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }

        return false;
    }
}
