namespace Whim.Testing.Providers;

/// <summary>The settings that put a generation proxy in front of <see cref="ProviderStandIn"/>, with test keys and fast timing.</summary>
public static class GenerationProxySettings
{
    /// <summary>The key the agent is given; the proxy swaps it for the real one.</summary>
    public const string Placeholder = "whim-placeholder-key";
    public const string AnthropicKey = "sk-ant-real-anthropic-key-0001";
    public const string OpenAIKey = "sk-real-openai-key-0002";
    public const string OpenRouterKey = "sk-or-real-openrouter-key-0003";

    /// <summary>The settings as command-line pairs: every provider at <paramref name="upstream"/>, state and logs under <paramref name="root"/>.</summary>
    public static List<string> Arguments(string root, string upstream, params string[] extra) =>
    [
        "--ROOT", root,
        "--AGENT_KEY", Placeholder,
        "--TASK_ID", "task-test-1",
        "--STATE_FILE", Path.Join(root, "state", "claude_state"),
        "--LOG_DIR", Path.Join(root, "logs"),
        "--PROVIDERS:ANTHROPIC:BASEURL", upstream,
        "--PROVIDERS:ANTHROPIC:APIKEY", AnthropicKey,
        "--PROVIDERS:OPENAI:BASEURL", upstream,
        "--PROVIDERS:OPENAI:APIKEY", OpenAIKey,
        "--PROVIDERS:OPENROUTER:BASEURL", upstream,
        "--PROVIDERS:OPENROUTER:APIKEY", OpenRouterKey,
        "--PROXY:IDLEDEBOUNCE", "00:00:00.200",
        "--PROXY:RETRYBASEDELAY", "00:00:00.010",
        "--PROXY:RETRYMAXDELAY", "00:00:00.050",
        .. extra,
    ];
}
