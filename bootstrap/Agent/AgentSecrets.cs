using System.Collections;
using System.Security.Cryptography;

namespace Whim.Bootstrap.Agent;

/// <summary>
/// Which credentials the agent may hold: only the placeholder key (<c>WHIM_AGENT_KEY</c>) the generation proxy swaps
/// for the real provider key. The real keys (<c>WHIM_PROVIDERS__*</c>, provider SDK variables) go to the generation
/// proxy alone; the internal API token reaches the agent's MCP server as a 0600 file, never as a variable.
/// </summary>
internal static class AgentSecrets
{
    public const string AgentKeyVariable = "WHIM_AGENT_KEY";

    private static readonly HashSet<string> s_sdkVariables = new(StringComparer.Ordinal)
    {
        "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "CODEX_API_KEY",
    };

    /// <summary>True for a variable that carries a real provider credential.</summary>
    public static bool IsProviderSecret(string name) =>
        name.StartsWith("WHIM_PROVIDERS__", StringComparison.OrdinalIgnoreCase) || s_sdkVariables.Contains(name);

    /// <summary>The placeholder from <c>WHIM_AGENT_KEY</c>, or a fresh random one when it is not set.</summary>
    public static string PlaceholderKey(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? "whim-agent-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) : configured;

    /// <summary>Removals (null values) for every inherited variable that <paramref name="strip"/> selects.</summary>
    public static Dictionary<string, string?> Removals(IDictionary inherited, Func<string, bool> strip)
    {
        ArgumentNullException.ThrowIfNull(inherited);
        var removals = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in inherited)
        {
            if (entry.Key is string name && strip(name))
            {
                removals[name] = null;
            }
        }

        return removals;
    }

    /// <summary>
    /// The agent's provider variables: both SDKs pointed at the generation proxy with the placeholder as their key
    /// (set last, so no configuration layer can hand the agent a real key).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> ProviderVariables(Uri generationProxy, string placeholder)
    {
        var baseUrl = generationProxy.ToString().TrimEnd('/');
        yield return new("ANTHROPIC_BASE_URL", baseUrl);
        yield return new("ANTHROPIC_API_KEY", placeholder);
        yield return new("OPENAI_BASE_URL", baseUrl + "/v1");
        yield return new("OPENAI_API_KEY", placeholder);
    }
}
