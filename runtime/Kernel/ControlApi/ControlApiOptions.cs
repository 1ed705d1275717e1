using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Whim.Runtime.Configuration;

namespace Whim.Runtime.ControlApi;

/// <summary>Where the control API is and how hard to try (<c>WHIM_API_URL</c>, <c>WHIM_INTERNAL_API_TOKEN</c>, <c>WHIM_CONTROL_API__*</c>).</summary>
public sealed class ControlApiOptions
{
    /// <summary>Base URL of the control API, e.g. <c>http://127.0.0.1:5000</c>.</summary>
    [ConfigurationKeyName("API_URL")]
    public string? BaseUrl { get; set; }

    /// <summary>The task's internal bearer token.</summary>
    [ConfigurationKeyName("INTERNAL_API_TOKEN")]
    public string? Token { get; set; }

    /// <summary>Timeouts, retries and the circuit breaker.</summary>
    [ConfigurationKeyName("CONTROL_API")]
    public ControlApiResilienceOptions Resilience { get; set; } = new();

    /// <summary>True when a base URL is configured.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(BaseUrl);
}

/// <summary>The resilience pipeline's settings.</summary>
public sealed class ControlApiResilienceOptions
{
    /// <summary>One attempt may take this long.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>All attempts together may take this long.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>First backoff delay; later ones grow exponentially with jitter.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>No single backoff (nor a server's <c>Retry-After</c>) waits longer than this.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed share of calls in the sampling window that opens the circuit.</summary>
    public double BreakerFailureRatio { get; set; } = 0.8;

    /// <summary>Calls needed in the window before the breaker may open.</summary>
    public int BreakerMinimumThroughput { get; set; } = 10;

    /// <summary>The breaker's sampling window.</summary>
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open before one trial call.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Checks <see cref="ControlApiOptions"/>, naming each wrong setting.</summary>
public sealed class ControlApiOptionsValidator : IValidateOptions<ControlApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ControlApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new OptionsErrors();
        if (options.IsConfigured)
        {
            errors.When(
                !Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps),
                "WHIM_API_URL",
                "must be an absolute http or https URL");
        }

        var r = options.Resilience;
        errors.When(r.AttemptTimeout <= TimeSpan.Zero, "WHIM_CONTROL_API__ATTEMPTTIMEOUT", "must be positive");
        errors.When(r.TotalTimeout < r.AttemptTimeout, "WHIM_CONTROL_API__TOTALTIMEOUT", "must be at least the attempt timeout");
        errors.When(r.MaxRetries is < 0 or > 100, "WHIM_CONTROL_API__MAXRETRIES", "must be between 0 and 100");
        errors.When(r.BaseDelay <= TimeSpan.Zero, "WHIM_CONTROL_API__BASEDELAY", "must be positive");
        errors.When(r.MaxDelay < r.BaseDelay, "WHIM_CONTROL_API__MAXDELAY", "must be at least the base delay");
        errors.When(r.BreakerFailureRatio is <= 0 or > 1, "WHIM_CONTROL_API__BREAKERFAILURERATIO", "must be in (0, 1]");
        errors.When(r.BreakerMinimumThroughput < 2, "WHIM_CONTROL_API__BREAKERMINIMUMTHROUGHPUT", "must be at least 2");
        errors.When(r.BreakerSamplingDuration < TimeSpan.FromMilliseconds(500), "WHIM_CONTROL_API__BREAKERSAMPLINGDURATION", "must be at least 500 ms");
        errors.When(r.BreakDuration < TimeSpan.FromMilliseconds(500), "WHIM_CONTROL_API__BREAKDURATION", "must be at least 500 ms");
        return errors.ToResult();
    }
}
