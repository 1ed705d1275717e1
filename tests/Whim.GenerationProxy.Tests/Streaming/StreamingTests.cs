using System.Diagnostics;
using System.Net;
using FluentAssertions;
using Xunit;

namespace Whim.GenerationProxy.Tests.Streaming;

public sealed class StreamingTests
{
    private static async Task<List<long>> ReadEventTimesAsync(HttpResponseMessage response)
    {
        var times = new List<long>();
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                times.Add(Stopwatch.GetTimestamp());
            }
        }

        return times;
    }

    [Fact]
    public async Task Each_event_reaches_the_client_before_the_upstream_writes_the_next()
    {
        await using var h = await ProxyHarness.StartAsync();
        h.StandIn.Behaviour.EventGap = TimeSpan.FromMilliseconds(200);
        using var response = await h.Client.SendAsync(ProxyHarness.Generation("anthropic", stream: true), HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var received = await ReadEventTimesAsync(response);
        var written = h.StandIn.EventWrittenAt.ToArray();
        received.Should().HaveCount(written.Length);
        for (var i = 0; i + 1 < written.Length; i++)
        {
            received[i].Should().BeLessThan(written[i + 1], $"event {i} must be at the client before the stand-in writes event {i + 1}");
        }
    }

    [Fact]
    public async Task A_silence_longer_than_the_configured_limit_cuts_the_stream()
    {
        await using var h = await ProxyHarness.StartAsync("--PROXY:SILENCELIMIT", "00:00:01");
        h.StandIn.Behaviour.SilenceAfterFirstDelta = TimeSpan.FromSeconds(30);
        using var response = await h.Client.SendAsync(ProxyHarness.Generation("anthropic", stream: true), HttpCompletionOption.ResponseHeadersRead);
        var read = async () => await response.Content.ReadAsStringAsync();
        var started = Stopwatch.StartNew();
        await read.Should().ThrowAsync<Exception>("the proxy aborts a stream silent beyond WHIM_PROXY__SILENCELIMIT");
        started.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// The acceptance run: 150 s without a byte, default settings (10 min limit). It runs alongside the other
    /// tests; <c>WHIM_TEST_SILENCE_SECONDS</c> may shorten it for a quick local run.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_stream_silent_for_150_seconds_completes()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("WHIM_TEST_SILENCE_SECONDS"), out var s) ? s : 150;
        await using var h = await ProxyHarness.StartAsync();
        h.StandIn.Behaviour.SilenceAfterFirstDelta = TimeSpan.FromSeconds(seconds);
        using var client = new HttpClient { BaseAddress = h.Proxy.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var started = Stopwatch.StartNew();
        using var response = await client.SendAsync(ProxyHarness.Generation("anthropic", stream: true), HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStringAsync();
        started.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(seconds));
        body.Should().Contain("event: message_stop");
        var line = (await h.LogLinesAsync(1)).Single();
        line.GetProperty("usage").GetProperty("output").GetInt64().Should().Be(12);
        line.GetProperty("cancelled").GetBoolean().Should().BeFalse();
    }
}
