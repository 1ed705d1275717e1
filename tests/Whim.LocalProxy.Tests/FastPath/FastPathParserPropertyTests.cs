using System.Globalization;
using System.Text;
using FluentAssertions;
using Whim.LocalProxy.FastPath;
using Xunit;

namespace Whim.LocalProxy.Tests.FastPath;

/// <summary>
/// Property tests of the fast path's hand-written parsers, with fixed seeds: generated heads and chunked bodies
/// parse as written, and mutated ones never make a parser throw anything but the framing error it declares, nor
/// accept a head that breaks the rules the fast path relies on.
/// </summary>
public sealed class FastPathParserPropertyTests
{
    private static readonly byte[] s_noise = [(byte)'\r', (byte)'\n', 0, (byte)' ', (byte)'\t', (byte)':', (byte)';', (byte)',', (byte)'/', (byte)'?', (byte)'%', 0x7F, 0x80, 0xFF, (byte)'0', (byte)'a', (byte)'Z', (byte)'-'];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Generated_request_heads_parse_as_written(int seed)
    {
        var random = new Random(seed);
        var head = new RequestHead();
        for (var i = 0; i < 500; i++)
        {
            var (text, headers) = RequestText(random);
            var bytes = Encoding.ASCII.GetBytes(text);

            head.Parse(bytes).Should().Be(HeadParse.Forwardable, text);
            head.Length.Should().Be(bytes.Length);
            head.Count.Should().Be(headers + 1, "the generated headers and Host");
            Encoding.ASCII.GetString(bytes, head.Target.Start, head.Target.Length).Should().StartWith("/");
            for (var cut = 0; cut < bytes.Length; cut += 7)
            {
                head.Parse(bytes.AsSpan(0, cut)).Should().Be(HeadParse.Incomplete, "a head cut at {0} bytes is not complete yet", cut);
            }
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void Mutated_request_heads_never_throw_and_what_is_accepted_keeps_the_rules(int seed)
    {
        var random = new Random(seed);
        var head = new RequestHead();
        for (var i = 0; i < 3000; i++)
        {
            var bytes = Mutate(random, Encoding.ASCII.GetBytes(RequestText(random).Text));

            var result = head.Parse(bytes);

            if (result != HeadParse.Forwardable)
            {
                continue;
            }

            var accepted = bytes.AsSpan(0, head.Length);
            accepted.EndsWith("\r\n\r\n"u8).Should().BeTrue();
            (accepted.StartsWith("GET /"u8) || accepted.StartsWith("HEAD /"u8)).Should().BeTrue();
            var hosts = 0;
            for (var h = 0; h < head.Count; h++)
            {
                var line = accepted.Slice(head[h].LineStart, head[h].LineLength);
                line.EndsWith("\r\n"u8).Should().BeTrue();
                line[..^2].IndexOfAny((byte)'\r', (byte)'\n', (byte)0).Should().Be(-1, "no line of an accepted head holds CR, LF or NUL");
                var name = line[..line.IndexOf((byte)':')];
                RequestHead.IsToken(name).Should().BeTrue();
                hosts += head[h].Header == RequestHeader.Host ? 1 : 0;
                if (head[h].Header == RequestHeader.ContentLength)
                {
                    accepted.Slice(head[h].ValueStart, head[h].ValueLength).SequenceEqual("0"u8).Should().BeTrue("the fast path takes no body");
                }
            }

            hosts.Should().Be(1);
            Encoding.ASCII.GetString(accepted).Should().NotContainAny(["Transfer-Encoding", "Upgrade:", "Expect:"]);
        }
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void Generated_chunked_bodies_end_exactly_where_they_end_however_they_are_split(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 300; i++)
        {
            var body = ChunkedText(random);
            var bytes = Encoding.ASCII.GetBytes(body + "NEXT");
            var chunked = default(ChunkedBody);
            chunked.Reset();
            var consumed = 0;
            while (!chunked.Done)
            {
                var slice = Math.Min(random.Next(1, 40), bytes.Length - consumed);
                consumed += chunked.Advance(bytes.AsSpan(consumed, slice));
            }

            consumed.Should().Be(body.Length, body);
        }
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public void Mutated_chunked_bodies_end_or_fail_with_a_framing_error_only(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = Mutate(random, Encoding.ASCII.GetBytes(ChunkedText(random)));
            var chunked = default(ChunkedBody);
            chunked.Reset();

            var follow = () =>
            {
                var consumed = 0;
                while (consumed < bytes.Length && !chunked.Done)
                {
                    consumed += chunked.Advance(bytes.AsSpan(consumed, Math.Min(random.Next(1, 40), bytes.Length - consumed)));
                }

                consumed.Should().BeLessThanOrEqualTo(bytes.Length);
            };

            try
            {
                follow();
            }
            catch (InvalidDataException)
            {
                // the declared framing error: the proxy cuts the response
            }
        }
    }

    [Theory]
    [InlineData(41)]
    [InlineData(42)]
    public void Mutated_response_heads_never_throw_and_a_relayed_head_has_one_framing(int seed)
    {
        var random = new Random(seed);
        var head = new ResponseHead();
        for (var i = 0; i < 3000; i++)
        {
            var text = $"HTTP/1.1 {random.Next(100, 600)} Reason\r\nContent-Type: text/plain\r\n"
                + (random.Next(2) == 0 ? "Content-Length: 12\r\n" : "Transfer-Encoding: chunked\r\n")
                + (random.Next(3) == 0 ? "Location: http://localhost:5173/a?b=1,2\r\n" : string.Empty) + "\r\n";
            var bytes = Mutate(random, Encoding.ASCII.GetBytes(text));

            if (!head.TryParse(bytes, requestWasHead: false, out _))
            {
                continue;
            }

            var accepted = Encoding.ASCII.GetString(bytes, 0, head.Length);
            var lengths = accepted.Split("\r\n").Count(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            var chunked = accepted.Split("\r\n").Any(l => l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase));
            (lengths > 0 && chunked).Should().BeFalse("a head with both framings is never relayed:\n" + accepted);
            if (head.Location.Start >= 0)
            {
                (head.Location.Start + head.Location.Length).Should().BeLessThanOrEqualTo(head.Length);
            }
        }
    }

    private static (string Text, int Headers) RequestText(Random random)
    {
        var method = random.Next(2) == 0 ? "GET" : "HEAD";
        var target = "/" + string.Join('/', Enumerable.Range(0, random.Next(0, 4)).Select(_ => Word(random))) + (random.Next(3) == 0 ? "?q=" + Word(random) : string.Empty);
        var builder = new StringBuilder($"{method} {target} HTTP/1.1\r\n");
        var count = random.Next(0, 12);
        var hostAt = random.Next(0, count + 1);
        for (var i = 0; i <= count; i++)
        {
            if (i == hostAt)
            {
                builder.Append(CultureInfo.InvariantCulture, $"Host: {random.Next(1, 65536)}.localhost\r\n");
                continue;
            }

            builder.Append(CultureInfo.InvariantCulture, $"X-{Word(random)}-{i}:{(random.Next(2) == 0 ? " " : "\t ")}{Word(random)} {Word(random)}{(random.Next(4) == 0 ? "  " : string.Empty)}\r\n");
        }

        return (builder.Append("\r\n").ToString(), count);
    }

    private static string ChunkedText(Random random)
    {
        var builder = new StringBuilder();
        for (var i = random.Next(0, 5); i > 0; i--)
        {
            var data = new string('x', random.Next(1, 300));
            builder.Append(data.Length.ToString(random.Next(2) == 0 ? "x" : "X", CultureInfo.InvariantCulture));
            builder.Append(random.Next(3) == 0 ? ";name=value" : string.Empty).Append("\r\n").Append(data).Append("\r\n");
        }

        builder.Append("0\r\n");
        for (var i = random.Next(0, 3); i > 0; i--)
        {
            builder.Append("X-Trailer-").Append(i).Append(": ").Append(Word(random)).Append("\r\n");
        }

        return builder.Append("\r\n").ToString();
    }

    private static string Word(Random random) => new([.. Enumerable.Range(0, random.Next(1, 9)).Select(_ => (char)('a' + random.Next(26)))]);

    // One to four edits: a byte replaced by noise, inserted, deleted, or the end cut off.
    private static byte[] Mutate(Random random, byte[] bytes)
    {
        var list = bytes.ToList();
        for (var edits = random.Next(1, 5); edits > 0 && list.Count > 0; edits--)
        {
            var at = random.Next(list.Count);
            switch (random.Next(4))
            {
                case 0:
                    list[at] = s_noise[random.Next(s_noise.Length)];
                    break;
                case 1:
                    list.Insert(at, s_noise[random.Next(s_noise.Length)]);
                    break;
                case 2:
                    list.RemoveAt(at);
                    break;
                default:
                    list.RemoveRange(at, list.Count - at);
                    break;
            }
        }

        return [.. list];
    }
}
