using FluentAssertions;
using Whim.GenerationProxy.Providers;
using Xunit;

namespace Whim.GenerationProxy.Tests.Providers;

public sealed class RouteTableTests
{
    [Theory]
    [InlineData("POST", "/v1/messages", false, ProviderKind.Anthropic, ProviderApi.AnthropicMessages)]
    [InlineData("POST", "/v1/messages/count_tokens", false, ProviderKind.Anthropic, ProviderApi.Other)]
    [InlineData("GET", "/v1/models", true, ProviderKind.Anthropic, ProviderApi.Other)]
    [InlineData("GET", "/v1/models", false, ProviderKind.OpenAI, ProviderApi.Other)]
    [InlineData("GET", "/v1/models/gpt-5", false, ProviderKind.OpenAI, ProviderApi.Other)]
    [InlineData("POST", "/v1/chat/completions", false, ProviderKind.OpenAI, ProviderApi.ChatCompletions)]
    [InlineData("POST", "/v1/responses", false, ProviderKind.OpenAI, ProviderApi.Responses)]
    [InlineData("POST", "/api/v1/chat/completions", false, ProviderKind.OpenRouter, ProviderApi.ChatCompletions)]
    [InlineData("GET", "/api/v1/generation", false, ProviderKind.OpenRouter, ProviderApi.Other)]
    internal void Maps_provider_paths(string method, string path, bool anthropicHeaders, ProviderKind provider, ProviderApi api)
    {
        var route = RouteTable.Match(method, path, anthropicHeaders);
        route.Should().NotBeNull();
        route!.Provider.Should().Be(provider);
        route.Api.Should().Be(api);
    }

    [Theory]
    [InlineData("POST", "/v2/messages")]
    [InlineData("GET", "/v1/messages")]
    [InlineData("POST", "/v1/models")]
    [InlineData("GET", "/")]
    public void Unknown_routes_do_not_match(string method, string path) =>
        RouteTable.Match(method, path, looksLikeAnthropic: false).Should().BeNull();
}
