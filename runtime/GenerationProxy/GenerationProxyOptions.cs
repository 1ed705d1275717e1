using Microsoft.Extensions.Options;
using Whim.GenerationProxy.Providers;
using Whim.Runtime.Configuration;

namespace Whim.GenerationProxy;

/// <summary>The proxy's settings, bound from the configuration root (<c>WHIM_*</c>).</summary>
internal sealed class GenerationProxyOptions
{
    /// <summary>The placeholder key the agent holds (<c>WHIM_AGENT_KEY</c>); anything else is refused with 401.</summary>
    [ConfigurationKeyName("AGENT_KEY")]
    public string? AgentKey { get; set; }

    /// <summary>The task the generation log lines belong to (<c>WHIM_TASK_ID</c>).</summary>
    [ConfigurationKeyName("TASK_ID")]
    public string? TaskId { get; set; }

    /// <summary>Upstreams and their real credentials (<c>WHIM_PROVIDERS__ANTHROPIC__BASEURL</c> ...).</summary>
    public ProvidersOptions Providers { get; set; } = new();

    /// <summary>Tuning (<c>WHIM_PROXY__...</c>).</summary>
    public ProxyTuningOptions Proxy { get; set; } = new();
}

/// <summary>One upstream per provider.</summary>
internal sealed class ProvidersOptions
{
    public ProviderOptions Anthropic { get; set; } = new() { BaseUrl = "https://api.anthropic.com" };

    public ProviderOptions OpenAI { get; set; } = new() { BaseUrl = "https://api.openai.com" };

    public ProviderOptions OpenRouter { get; set; } = new() { BaseUrl = "https://openrouter.ai" };

    /// <summary>Providers that must have a credential for <c>/readyz</c> to pass (comma-separated names); when empty, at least one.</summary>
    public string? Required { get; set; }

    public ProviderOptions For(ProviderKind kind) => kind switch
    {
        ProviderKind.Anthropic => Anthropic,
        ProviderKind.OpenAI => OpenAI,
        _ => OpenRouter,
    };
}

/// <summary>An upstream: where it is and the real credential the proxy injects.</summary>
internal sealed class ProviderOptions
{
    /// <summary>Origin (and optional path prefix) the request path is appended to.</summary>
    public string BaseUrl { get; set; } = string.Empty;

    /// <summary>The real key or OAuth token; never leaves the proxy except toward this upstream.</summary>
    public string? ApiKey { get; set; }

    /// <summary>For Anthropic: <c>x-api-key</c> (default) or <c>bearer</c> (OAuth tokens, also chosen for <c>sk-ant-oat</c> keys).</summary>
    public string? AuthScheme { get; set; }
}

/// <summary>Timeouts, limits and retry.</summary>
internal sealed class ProxyTuningOptions
{
    /// <summary>How long a stream may stay silent before it is cut (default 10 min).</summary>
    public TimeSpan SilenceLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long in-flight calls may finish after SIGTERM (default 30 s).</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest request body accepted (default 64 MiB); larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long without requests before the agent counts as idle (default 5 s).</summary>
    public TimeSpan IdleDebounce { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries of a call that failed before any byte reached the client (default 3).</summary>
    public int RetryAttempts { get; set; } = 3;

    /// <summary>First retry delay; doubles with jitter (default 1 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait before a retry, including a <c>retry-after</c> (default 30 s).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Request bodies up to this size are kept while streaming so a 429/5xx can be retried (default 8 MiB).</summary>
    public int ReplayBufferBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>TCP/TLS connect timeout toward the upstream (default 30 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks the settings at start; every error names its setting.</summary>
internal sealed class GenerationProxyOptionsValidator : IValidateOptions<GenerationProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, GenerationProxyOptions options)
    {
        var errors = new OptionsErrors();
        foreach (var kind in new[] { ProviderKind.Anthropic, ProviderKind.OpenAI, ProviderKind.OpenRouter })
        {
            var provider = options.Providers.For(kind);
            var prefix = ProviderNames.SettingPrefix(kind);
            errors.When(
                !Uri.TryCreate(provider.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"),
                prefix + "BASEURL",
                "must be an absolute http(s) URL");
            errors.When(
                provider.AuthScheme is not (null or "" or "x-api-key" or "bearer"),
                prefix + "AUTHSCHEME",
                "must be x-api-key or bearer");
        }

        var tuning = options.Proxy;
        errors.When(tuning.SilenceLimit <= TimeSpan.Zero, "WHIM_PROXY__SILENCELIMIT", "must be positive");
        errors.When(tuning.DrainTimeout < TimeSpan.Zero, "WHIM_PROXY__DRAINTIMEOUT", "must not be negative");
        errors.When(tuning.MaxRequestBodyBytes <= 0, "WHIM_PROXY__MAXREQUESTBODYBYTES", "must be positive");
        errors.When(tuning.IdleDebounce < TimeSpan.Zero, "WHIM_PROXY__IDLEDEBOUNCE", "must not be negative");
        errors.When(tuning.RetryAttempts is < 0 or > 10, "WHIM_PROXY__RETRYATTEMPTS", "must be between 0 and 10");
        errors.When(tuning.RetryBaseDelay < TimeSpan.Zero, "WHIM_PROXY__RETRYBASEDELAY", "must not be negative");
        errors.When(tuning.RetryMaxDelay < tuning.RetryBaseDelay, "WHIM_PROXY__RETRYMAXDELAY", "must be at least WHIM_PROXY__RETRYBASEDELAY");
        errors.When(tuning.ReplayBufferBytes < 0, "WHIM_PROXY__REPLAYBUFFERBYTES", "must not be negative");
        errors.When(tuning.ConnectTimeout <= TimeSpan.Zero, "WHIM_PROXY__CONNECTTIMEOUT", "must be positive");
        return errors.ToResult();
    }
}
