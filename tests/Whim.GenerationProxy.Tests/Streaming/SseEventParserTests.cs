using System.Text;
using FluentAssertions;
using FsCheck;
using FsCheck.Xunit;
using Whim.GenerationProxy.Streaming;
using Xunit;

namespace Whim.GenerationProxy.Tests.Streaming;

public sealed class SseEventParserTests
{
    private sealed class Recorder : ISseEventHandler
    {
        public List<(string Type, string Data)> Events { get; } = [];

        public void OnEvent(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data) =>
            Events.Add((Encoding.UTF8.GetString(eventType), Encoding.UTF8.GetString(data)));
    }

    private static List<(string Type, string Data)> Parse(string text, params int[] cuts)
    {
        var recorder = new Recorder();
        var parser = new SseEventParser(recorder);
        var bytes = Encoding.UTF8.GetBytes(text);
        var start = 0;
        foreach (var cut in cuts.Where(c => c > 0 && c < bytes.Length).Distinct().Order())
        {
            parser.Feed(bytes.AsSpan(start, cut - start));
            start = cut;
        }

        parser.Feed(bytes.AsSpan(start));
        return recorder.Events;
    }

    [Fact]
    public void Dispatches_typed_events_on_blank_lines()
    {
        var events = Parse("event: message_start\ndata: {\"a\":1}\n\nevent: ping\ndata: {}\n\n");
        events.Should().Equal(("message_start", "{\"a\":1}"), ("ping", "{}"));
    }

    [Fact]
    public void Accepts_CRLF_and_bare_CR_line_ends()
    {
        Parse("event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\r").Should().Equal(("a", "1"), ("b", "2"));
    }

    [Fact]
    public void A_CRLF_split_between_chunks_is_one_line_end()
    {
        var text = "data: 1\r\n\r\ndata: 2\r\n\r\n";
        for (var cut = 1; cut < text.Length; cut++)
        {
            Parse(text, cut).Should().Equal([("", "1"), ("", "2")], $"cut at {cut}");
        }
    }

    [Fact]
    public void Joins_multi_line_data_and_ignores_comments_ids_and_retry()
    {
        Parse(": OPENROUTER PROCESSING\n\nid: 7\nretry: 100\ndata: first\ndata:second\n\n").Should().Equal(("", "first\nsecond"));
    }

    [Fact]
    public void An_event_without_its_blank_line_is_not_dispatched()
    {
        Parse("data: done\n\ndata: half").Should().Equal(("", "done"));
    }

    [Fact]
    public void Skips_a_leading_byte_order_mark()
    {
        Parse("\uFEFFdata: x\n\n").Should().Equal(("", "x"));
    }

    [Property(MaxTest = 300)]
    public bool Any_chunking_yields_the_same_events(NonEmptyString[] datas, int[] cuts, bool crlf)
    {
        var newline = crlf ? "\r\n" : "\n";
        var expected = datas
            .Select((d, i) => (Type: "e" + i, Data: new string(d.Get.Where(c => c is not ('\r' or '\n')).ToArray())))
            .ToList();
        var text = string.Concat(expected.Select(e => $"event: {e.Type}{newline}data: {e.Data}{newline}{newline}"));
        var length = Encoding.UTF8.GetByteCount(text);
        var positions = cuts.Select(c => length == 0 ? 0 : Math.Abs(c % length)).ToArray();
        return Parse(text, positions).SequenceEqual(expected);
    }
}
