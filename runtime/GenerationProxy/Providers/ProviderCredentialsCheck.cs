using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Whim.GenerationProxy.Providers;

/// <summary>
/// <c>/readyz</c>: ready when the agent placeholder is set and the providers that must work have their real
/// credential; the message names each missing setting.
/// </summary>
internal sealed class ProviderCredentialsCheck(IOptions<GenerationProxyOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Evaluate(options.Value) is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy());

    /// <summary>Null when ready, else what is missing.</summary>
    public static string? Evaluate(GenerationProxyOptions options)
    {
        var missing = new List<string>();
        if (string.IsNullOrEmpty(options.AgentKey))
        {
            missing.Add("WHIM_AGENT_KEY is not set (the placeholder key the agent presents)");
        }

        var kinds = new[] { ProviderKind.Anthropic, ProviderKind.OpenAI, ProviderKind.OpenRouter };
        var required = (options.Providers.Required ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (required.Length == 0)
        {
            if (!Array.Exists(kinds, k => HasKey(options, k)))
            {
                missing.Add("no provider credential: set WHIM_PROVIDERS__ANTHROPIC__APIKEY, WHIM_PROVIDERS__OPENAI__APIKEY or WHIM_PROVIDERS__OPENROUTER__APIKEY");
            }
        }
        else
        {
            foreach (var name in required)
            {
                var kind = Array.Find(kinds, k => string.Equals(ProviderNames.Of(k), name, StringComparison.OrdinalIgnoreCase));
                if (!string.Equals(ProviderNames.Of(kind), name, StringComparison.OrdinalIgnoreCase))
                {
                    missing.Add($"WHIM_PROVIDERS__REQUIRED names an unknown provider '{name}'");
                }
                else if (!HasKey(options, kind))
                {
                    missing.Add($"{ProviderNames.SettingPrefix(kind)}APIKEY is not set");
                }
            }
        }

        return missing.Count == 0 ? null : string.Join("; ", missing);
    }

    private static bool HasKey(GenerationProxyOptions options, ProviderKind kind) =>
        !string.IsNullOrEmpty(options.Providers.For(kind).ApiKey);
}
