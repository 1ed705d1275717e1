namespace Whim.GenerationProxy.Providers;

/// <summary>A route the proxy forwards: which provider, which protocol.</summary>
internal sealed record ProviderRoute(string Method, string Pattern, ProviderKind Provider, ProviderApi Api);

/// <summary>
/// The supported routes. <c>/v1/models</c> exists for both Anthropic and OpenAI: a request carrying an
/// <c>anthropic-version</c> or <c>x-api-key</c> header is Anthropic's, anything else OpenAI's.
/// </summary>
internal static class RouteTable
{
    /// <summary>Every route, for matching and for the 404 answer.</summary>
    public static readonly IReadOnlyList<ProviderRoute> Routes =
    [
        new("POST", "/v1/messages", ProviderKind.Anthropic, ProviderApi.AnthropicMessages),
        new("POST", "/v1/messages/count_tokens", ProviderKind.Anthropic, ProviderApi.Other),
        new("GET", "/v1/models", ProviderKind.Anthropic, ProviderApi.Other),
        new("POST", "/v1/chat/completions", ProviderKind.OpenAI, ProviderApi.ChatCompletions),
        new("POST", "/v1/responses", ProviderKind.OpenAI, ProviderApi.Responses),
        new("GET", "/v1/models", ProviderKind.OpenAI, ProviderApi.Other),
        new("POST", "/api/v1/chat/completions", ProviderKind.OpenRouter, ProviderApi.ChatCompletions),
        new("POST", "/api/v1/responses", ProviderKind.OpenRouter, ProviderApi.Responses),
        new("*", "/api/v1/{**path}", ProviderKind.OpenRouter, ProviderApi.Other),
    ];

    /// <summary>The proxy's own endpoints, listed in the 404 answer too.</summary>
    public static readonly IReadOnlyList<string> OwnEndpoints =
        ["GET /whim/state", "GET /whim/state/stream", "GET /healthz", "GET /readyz", "GET /metrics"];

    /// <summary>Finds the route of a request, or null.</summary>
    public static ProviderRoute? Match(string method, string path, bool looksLikeAnthropic)
    {
        var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        if (trimmed.Equals("/v1/models", StringComparison.Ordinal) || trimmed.StartsWith("/v1/models/", StringComparison.Ordinal))
        {
            return method == "GET" ? Routes[looksLikeAnthropic ? 2 : 5] : null;
        }

        foreach (var route in Routes)
        {
            if (route.Pattern.EndsWith("{**path}", StringComparison.Ordinal))
            {
                var prefix = route.Pattern[..^"{**path}".Length];
                if (trimmed.StartsWith(prefix, StringComparison.Ordinal) || trimmed + "/" == prefix)
                {
                    return route;
                }

                continue;
            }

            if (trimmed.Equals(route.Pattern, StringComparison.Ordinal))
            {
                return string.Equals(method, route.Method, StringComparison.OrdinalIgnoreCase) ? route : null;
            }
        }

        return null;
    }
}
