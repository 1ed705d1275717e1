namespace Whim.GenerationProxy.GenerationLog;

/// <summary>What a provider's answer said about itself: its id, the model that served it and the tokens it counted.</summary>
internal sealed class GenerationUsage
{
    /// <summary>The provider's id of the generation (<c>msg_...</c>, <c>chatcmpl-...</c>, <c>resp_...</c>, <c>gen-...</c>).</summary>
    public string? GenerationId { get; set; }

    /// <summary>The model that answered.</summary>
    public string? Model { get; set; }

    /// <summary>Input tokens as the provider counts them (Anthropic excludes cached tokens, OpenAI includes them).</summary>
    public long? InputTokens { get; set; }

    /// <summary>Output tokens.</summary>
    public long? OutputTokens { get; set; }

    /// <summary>Tokens read from the prompt cache.</summary>
    public long? CacheReadTokens { get; set; }

    /// <summary>Tokens written to the prompt cache (Anthropic <c>cache_creation_input_tokens</c>).</summary>
    public long? CacheWriteTokens { get; set; }
}
