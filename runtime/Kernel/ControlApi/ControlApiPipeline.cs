using System.Net;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Whim.Runtime.ControlApi;

/// <summary>
/// The one resilience pipeline of the control-API client, shared by every call of the process so the circuit
/// breaker sees them all: total timeout → retry (jittered exponential backoff, honouring <c>Retry-After</c>) →
/// circuit breaker → attempt timeout.
/// </summary>
public sealed class ControlApiPipeline
{
    public ControlApiPipeline(IOptions<ControlApiOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        var r = options.Value.Resilience;
        var transient = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(static response => IsTransient(response.StatusCode));

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
            .AddTimeout(r.TotalTimeout);
        if (r.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                MaxRetryAttempts = r.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = r.BaseDelay,
                MaxDelay = r.MaxDelay,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, r.MaxDelay)),
                OnRetry = static args =>
                {
                    // The failed answer is not handed to anyone: release its connection now.
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        }

        Pipeline = builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                FailureRatio = r.BreakerFailureRatio,
                MinimumThroughput = r.BreakerMinimumThroughput,
                SamplingDuration = r.BreakerSamplingDuration,
                BreakDuration = r.BreakDuration,
            })
            .AddTimeout(r.AttemptTimeout)
            .Build();
    }

    /// <summary>The pipeline every call runs through.</summary>
    public ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

    internal static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan max)
    {
        var header = response?.Headers.RetryAfter;
        if (header is null)
        {
            return null;
        }

        var wait = header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (wait is null)
        {
            return null;
        }

        return wait.Value < TimeSpan.Zero ? TimeSpan.Zero : (wait.Value > max ? max : wait.Value);
    }
}
