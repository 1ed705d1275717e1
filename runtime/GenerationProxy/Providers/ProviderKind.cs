namespace Whim.GenerationProxy.Providers;

/// <summary>The model providers the proxy forwards to.</summary>
internal enum ProviderKind
{
    Anthropic,
    OpenAI,
    OpenRouter,
}

/// <summary>The wire protocol of one route, which decides how usage is read from its answers.</summary>
internal enum ProviderApi
{
    /// <summary>Anthropic Messages: <c>message_start</c> / <c>message_delta</c> events or one JSON message.</summary>
    AnthropicMessages,

    /// <summary>OpenAI Chat Completions (also OpenRouter): <c>chat.completion.chunk</c>s, usage in the last chunk.</summary>
    ChatCompletions,

    /// <summary>OpenAI Responses: <c>response.created</c> ... <c>response.completed</c>.</summary>
    Responses,

    /// <summary>Anything else (models list, token counting): forwarded and logged, no usage expected.</summary>
    Other,
}

/// <summary>Names as they appear in logs, metrics and settings.</summary>
internal static class ProviderNames
{
    public static string Of(ProviderKind kind) => kind switch
    {
        ProviderKind.Anthropic => "anthropic",
        ProviderKind.OpenAI => "openai",
        ProviderKind.OpenRouter => "openrouter",
        _ => "unknown",
    };

    /// <summary>The configuration section of a provider, as an environment variable prefix.</summary>
    public static string SettingPrefix(ProviderKind kind) => kind switch
    {
        ProviderKind.Anthropic => "WHIM_PROVIDERS__ANTHROPIC__",
        ProviderKind.OpenAI => "WHIM_PROVIDERS__OPENAI__",
        ProviderKind.OpenRouter => "WHIM_PROVIDERS__OPENROUTER__",
        _ => "WHIM_PROVIDERS__",
    };
}
