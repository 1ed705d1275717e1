using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Whim.Testing;
using Xunit;

namespace Whim.GenerationProxy.Tests.Forwarding;

public sealed class ForwardingTests : ProxyTestBase
{
    [Fact]
    public async Task Anthropic_call_reaches_the_upstream_with_the_real_key_and_provider_headers()
    {
        using var request = ProxyHarness.Generation("anthropic", stream: true);
        request.Headers.TryAddWithoutValidation("anthropic-beta", "prompt-caching-2024-07-31");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        using var response = await H.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var body = await response.Content.ReadAsStringAsync();
        body.Should().Contain("event: message_stop");

        var seen = H.StandIn.Requests.Should().ContainSingle().Subject;
        seen.Headers["x-api-key"].Should().Be(ProxyHarness.AnthropicKey);
        seen.Headers.Should().NotContainKey("authorization");
        seen.Headers["anthropic-version"].Should().Be("2023-06-01");
        seen.Headers["anthropic-beta"].Should().Be("prompt-caching-2024-07-31");
        seen.Headers.Should().NotContainKey("keep-alive");
        seen.Headers.Values.Should().NotContain(v => v.Contains(ProxyHarness.Placeholder));
    }

    [Fact]
    public async Task Anthropic_placeholder_as_bearer_is_accepted_and_sent_on_as_x_api_key()
    {
        using var request = ProxyHarness.Generation("anthropic", stream: false, key: null);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ProxyHarness.Placeholder);
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        using var response = await H.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var seen = H.StandIn.Requests.Should().ContainSingle().Subject;
        seen.Headers["x-api-key"].Should().Be(ProxyHarness.AnthropicKey);
        seen.Headers.Should().NotContainKey("authorization");
    }

    [Theory]
    [InlineData("openai-chat", ProxyHarness.OpenAIKey)]
    [InlineData("openai-responses", ProxyHarness.OpenAIKey)]
    [InlineData("openrouter", ProxyHarness.OpenRouterKey)]
    public async Task OpenAI_style_calls_carry_the_real_bearer_token(string provider, string key)
    {
        using var response = await H.Client.SendAsync(ProxyHarness.Generation(provider, stream: true));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _ = await response.Content.ReadAsStringAsync();
        var seen = H.StandIn.Requests.Should().ContainSingle().Subject;
        seen.Headers["authorization"].Should().Be("Bearer " + key);
        seen.Headers.Should().NotContainKey("x-api-key");
    }

    [Theory]
    [InlineData("sk-ant-not-the-placeholder")]
    [InlineData(null)]
    public async Task A_request_without_the_placeholder_is_refused_with_401_and_never_forwarded(string? key)
    {
        using var response = await H.Client.SendAsync(ProxyHarness.Generation("anthropic", stream: false, key: key));
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        H.StandIn.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task Unknown_route_answers_404_listing_the_supported_routes()
    {
        using var response = await H.Client.PostAsync("v2/complete", new StringContent("{}"));
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var routes = doc.RootElement.GetProperty("supportedRoutes").EnumerateArray().Select(e => e.GetString()).ToList();
        routes.Should().Contain(r => r!.StartsWith("POST /v1/messages ", StringComparison.Ordinal));
        routes.Should().Contain(r => r!.StartsWith("POST /v1/responses ", StringComparison.Ordinal));
        routes.Should().Contain("GET /whim/state");
    }

    [Fact]
    public async Task Count_tokens_and_models_are_forwarded()
    {
        using var count = new HttpRequestMessage(HttpMethod.Post, "v1/messages/count_tokens") { Content = new StringContent("""{"model":"claude-sonnet-4-5","messages":[]}""", Encoding.UTF8, "application/json") };
        count.Headers.TryAddWithoutValidation("x-api-key", ProxyHarness.Placeholder);
        count.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        (await (await H.Client.SendAsync(count)).Content.ReadAsStringAsync()).Should().Contain("\"input_tokens\":42");

        using var models = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        models.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ProxyHarness.Placeholder);
        (await (await H.Client.SendAsync(models)).Content.ReadAsStringAsync()).Should().Contain("\"owned_by\":\"openai\"");
        H.StandIn.Requests.Select(r => r.Headers.GetValueOrDefault("authorization")).Should().Contain("Bearer " + ProxyHarness.OpenAIKey);
    }

    [Fact]
    public async Task Overloaded_answers_before_the_first_byte_are_retried()
    {
        H.StandIn.Behaviour.FailNext = 2;
        H.StandIn.Behaviour.FailStatus = 529;
        using var response = await H.Client.SendAsync(ProxyHarness.Generation("anthropic", stream: true));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Contain("message_stop");
        H.StandIn.Requests.Should().HaveCount(3);
        H.StandIn.Requests.Should().OnlyContain(r => r.BodyLength > 0, "the body is replayed on every attempt");
        var line = (await H.LogLinesAsync(1)).Single();
        line.GetProperty("attempts").GetInt32().Should().Be(3);
        line.GetProperty("status").GetInt32().Should().Be(200);
    }

    [Fact]
    public async Task Rate_limits_that_persist_reach_the_client_after_the_retries()
    {
        H.StandIn.Behaviour.FailNext = 100;
        H.StandIn.Behaviour.FailStatus = 429;
        using var response = await H.Client.SendAsync(ProxyHarness.Generation("openai-chat", stream: true));
        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        H.StandIn.Requests.Should().HaveCount(4, "one call and three retries");
    }

    [Fact]
    public async Task Body_over_the_limit_is_refused_with_413()
    {
        await using var small = await ProxyHarness.StartAsync("--PROXY:MAXREQUESTBODYBYTES", "1000");
        using var request = ProxyHarness.Generation("anthropic", stream: false);
        request.Content = new StringContent(new string('x', 5000), Encoding.UTF8, "application/json");
        using var response = await small.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await response.Content.ReadAsStringAsync()).Should().Contain("WHIM_PROXY__MAXREQUESTBODYBYTES");
        small.StandIn.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_refused_with_413()
    {
        await using var small = await ProxyHarness.StartAsync("--PROXY:MAXREQUESTBODYBYTES", "1000", "--PROXY:REPLAYBUFFERBYTES", "100");
        using var request = ProxyHarness.Generation("anthropic", stream: false);
        request.Content = new StreamContent(new MemoryStream(new byte[50_000]));
        request.Headers.TransferEncodingChunked = true;
        using var response = await small.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_ten_megabyte_context_streams_through()
    {
        var big = "{\"model\":\"claude-sonnet-4-5\",\"stream\":true,\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', 10 * 1024 * 1024) + "\"}]}";
        using var request = ProxyHarness.Generation("anthropic", stream: true);
        request.Content = new StringContent(big, Encoding.UTF8, "application/json");
        using var response = await H.Client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Contain("message_stop");
        H.StandIn.Requests.Single().BodyLength.Should().Be(Encoding.UTF8.GetByteCount(big));
    }

    [Fact]
    public async Task Unreachable_upstream_is_retried_then_answered_502()
    {
        var closed = LoopbackPort.Reserve();
        await using var h = await ProxyHarness.StartAsync("--PROVIDERS:ANTHROPIC:BASEURL", $"http://127.0.0.1:{closed}");
        using var response = await h.Client.SendAsync(ProxyHarness.Generation("anthropic", stream: true));
        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        var line = (await h.LogLinesAsync(1)).Single();
        line.GetProperty("attempts").GetInt32().Should().Be(4);
        line.GetProperty("error").GetString().Should().Be("Request");
    }
}
