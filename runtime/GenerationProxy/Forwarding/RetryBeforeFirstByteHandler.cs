using System.Net;
using System.Runtime.CompilerServices;
using Polly;
using Polly.Retry;

namespace Whim.GenerationProxy.Forwarding;

/// <summary>
/// Retries a call whose answer has not started: connect failures, and 429 / 5xx / 529 (overloaded) answers, with
/// jittered exponential backoff that honours <c>retry-after</c>. It sits inside the invoker YARP uses, so everything
/// it does happens before YARP copies a single header to the client; once YARP has the response, nothing retries.
/// Bodies are replayed from <see cref="ReplayableContent"/>; a body too large to keep is retried only on connect
/// failures, which happen before it is read.
/// </summary>
internal sealed class RetryBeforeFirstByteHandler : DelegatingHandler
{
    /// <summary>The call a request belongs to; the handler counts its attempts there.</summary>
    public static readonly HttpRequestOptionsKey<ProxyCall> CallKey = new("whim.call");

    private static readonly ResiliencePropertyKey<ReplayableContent?> s_content = new("whim.content");
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly int _replayLimit;

    public RetryBeforeFirstByteHandler(ProxyTuningOptions tuning, TimeProvider time)
    {
        _replayLimit = tuning.ReplayBufferBytes;
        var maxDelay = tuning.RetryMaxDelay;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(1, tuning.RetryAttempts),
                Delay = tuning.RetryBaseDelay,
                MaxDelay = maxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = static args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, maxDelay, time)),
                OnRetry = static args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        if (tuning.RetryAttempts == 0)
        {
            _pipeline = ResiliencePipeline<HttpResponseMessage>.Empty;
        }
    }

    /// <summary>Statuses worth another try: rate limited, server errors, Anthropic's 529 overloaded.</summary>
    public static bool IsRetryableStatus(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout || (int)status == 529;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ReplayableContent? content = null;
        if (request.Content is not null)
        {
            content = new ReplayableContent(request.Content, _replayLimit);
            request.Content = content;
        }

        request.Options.TryGetValue(CallKey, out var call);
        var attempts = 0;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(s_content, content);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                async (ctx, state) =>
                {
                    if (state.Call is not null)
                    {
                        state.Call.Attempts = ++state.Counter.Value;
                    }
                    try
                    {
                        return Outcome.FromResult(await state.Handler.SendCoreAsync(state.Request, ctx.CancellationToken).ConfigureAwait(false));
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                    {
                        return Outcome.FromException<HttpResponseMessage>(e);
                    }
                },
                context,
                (Handler: this, Request: request, Call: call, Counter: new StrongBox<int>(attempts))).ConfigureAwait(false);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context)
    {
        if (context.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var content = context.Properties.GetValue(s_content, null);
        if (outcome.Exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
        {
            return content is null || content.CanReplay;
        }

        return outcome.Result is { } response && IsRetryableStatus(response.StatusCode) && (content is null || content.CanReplay);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan maxDelay, TimeProvider time)
    {
        var header = response?.Headers.RetryAfter;
        TimeSpan? wait = header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow(),
            _ => null,
        };
        if (wait is null && response is not null && response.Headers.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var milliseconds))
        {
            wait = TimeSpan.FromMilliseconds(milliseconds);
        }

        if (wait is null)
        {
            return null;
        }

        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > maxDelay ? maxDelay : wait;
    }
}
