using System.Net;
using System.Text.Json;
using FluentAssertions;
using Whim.Testing;
using Xunit;

namespace Whim.GenerationProxy.Tests.GenerationLog;

public sealed class GenerationLogTests : ProxyTestBase
{
    public static TheoryData<string, bool, string, string, string, long, long, long?, long?> Calls => new()
    {
        { "anthropic", true, "anthropic", "msg_standin_", "claude-sonnet-4-5", 25, 12, 2000, 100 },
        { "anthropic", false, "anthropic", "msg_standin_", "claude-sonnet-4-5", 25, 12, 2000, 100 },
        { "openai-chat", true, "openai", "chatcmpl-standin", "gpt-5", 50, 7, 32, null },
        { "openai-chat", false, "openai", "chatcmpl-standin", "gpt-5", 50, 7, 32, null },
        { "openai-responses", true, "openai", "resp_standin", "gpt-5", 80, 9, 64, null },
        { "openai-responses", false, "openai", "resp_standin", "gpt-5", 80, 9, 64, null },
        { "openrouter", true, "openrouter", "gen-standin-", "anthropic/claude-sonnet-4.5", 50, 7, 32, null },
        { "openrouter", false, "openrouter", "gen-standin-", "anthropic/claude-sonnet-4.5", 50, 7, 32, null },
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Logs_ids_and_usage_of_every_provider_streamed_and_not(
        string kind, bool stream, string provider, string idPrefix, string model, long input, long output, long? cacheRead, long? cacheWrite)
    {
        using var request = ProxyHarness.Generation(kind, stream);
        request.Headers.TryAddWithoutValidation("X-Request-Id", "req-" + kind + stream);
        using var response = await H.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _ = await response.Content.ReadAsStringAsync();

        var line = (await H.LogLinesAsync(1)).Single();
        line.GetProperty("taskId").GetString().Should().Be("task-test-1");
        line.GetProperty("provider").GetString().Should().Be(provider);
        line.GetProperty("model").GetString().Should().Be(model);
        line.GetProperty("generationId").GetString().Should().StartWith(idPrefix);
        line.GetProperty("requestId").GetString().Should().Be("req-" + kind + stream);
        line.GetProperty("upstreamRequestId").GetString().Should().StartWith("req_standin_");
        line.GetProperty("status").GetInt32().Should().Be(200);
        line.GetProperty("streamed").GetBoolean().Should().Be(stream);
        line.GetProperty("cancelled").GetBoolean().Should().BeFalse();
        line.GetProperty("ttfbMs").GetDouble().Should().BeGreaterThan(0);
        line.GetProperty("durationMs").GetDouble().Should().BeGreaterThanOrEqualTo(line.GetProperty("ttfbMs").GetDouble());
        line.TryGetProperty("time", out _).Should().BeTrue();
        var usage = line.GetProperty("usage");
        usage.GetProperty("input").GetInt64().Should().Be(input);
        usage.GetProperty("output").GetInt64().Should().Be(output);
        Optional(usage, "cacheRead").Should().Be(cacheRead);
        Optional(usage, "cacheWrite").Should().Be(cacheWrite);
    }

    private static long? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetInt64() : null;

    [Fact]
    public async Task A_stream_the_client_cancels_is_logged_with_usage_so_far_and_the_cancelled_flag()
    {
        H.StandIn.Behaviour.SilenceAfterFirstDelta = TimeSpan.FromMinutes(5);
        using var request = ProxyHarness.Generation("anthropic", stream: true);
        using var response = await H.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null && line != "event: content_block_delta")
        {
        }

        line.Should().Be("event: content_block_delta");
        response.Dispose();
        await Eventually.UntilAsync(() => H.StandIn.AbortedStreams == 1, "the upstream call to be cancelled");

        var logged = (await H.LogLinesAsync(1)).Single();
        logged.GetProperty("cancelled").GetBoolean().Should().BeTrue();
        logged.GetProperty("generationId").GetString().Should().StartWith("msg_standin_");
        logged.GetProperty("usage").GetProperty("input").GetInt64().Should().Be(25);
        logged.GetProperty("usage").GetProperty("output").GetInt64().Should().Be(1, "only message_start had been seen");
    }

    [Fact]
    public async Task Metrics_show_requests_durations_and_tokens_by_model()
    {
        using var response = await H.Client.SendAsync(ProxyHarness.Generation("anthropic", stream: true));
        _ = await response.Content.ReadAsStringAsync();
        await H.LogLinesAsync(1);
        var metrics = await H.Client.GetStringAsync("metrics");
        // Other tests' proxies run in this process too and share the meter name, so counts are lower bounds.
        metrics.Should().MatchRegex(@"(?m)^whim_genproxy_requests_in_flight -?\d+$");
        metrics.Should().MatchRegex(@"(?m)^whim_genproxy_requests_total\{provider=""anthropic"",status=""200""\} [1-9]\d*$");
        metrics.Should().MatchRegex(@"(?m)^whim_genproxy_ttfb_seconds_bucket\{provider=""anthropic"",le=""\+Inf""\} [1-9]\d*$");
        metrics.Should().MatchRegex(@"(?m)^whim_genproxy_duration_seconds_count\{provider=""anthropic""\} [1-9]\d*$");
        metrics.Should().MatchRegex(@"(?m)^whim_genproxy_tokens_total\{kind=""cache_read"",model=""claude-sonnet-4-5""\} [1-9]\d*$");
    }
}
