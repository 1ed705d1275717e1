using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Whim.GenerationProxy.Diagnostics;
using Whim.GenerationProxy.GenerationLog;
using Whim.GenerationProxy.IdleTracking;
using Whim.GenerationProxy.Providers;
using Whim.Runtime.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Whim.GenerationProxy.Forwarding;

/// <summary>
/// Handles every request that is not one of the proxy's own endpoints: finds the provider route (404 with the
/// list otherwise), checks the agent's placeholder key (401), the provider credential (503) and the body size
/// (413), then forwards through YARP with the response tee in place, and finally records the call: state tracker,
/// metrics, generation log.
/// </summary>
internal sealed partial class ProxyEndpoint
{
    private readonly IHttpForwarder _forwarder;
    private readonly UpstreamInvoker _upstream;
    private readonly ProviderTransformer _transformer;
    private readonly AgentStateTracker _tracker;
    private readonly GenerationLogWriter _log;
    private readonly ProxyMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<ProxyEndpoint> _logger;
    private readonly GenerationProxyOptions _options;
    private readonly Secret? _agentKey;
    private readonly string[] _prefixes;

    public ProxyEndpoint(
        IHttpForwarder forwarder,
        UpstreamInvoker upstream,
        ProviderTransformer transformer,
        AgentStateTracker tracker,
        GenerationLogWriter log,
        ProxyMetrics metrics,
        TimeProvider time,
        IOptions<GenerationProxyOptions> options,
        ILogger<ProxyEndpoint> logger)
    {
        _forwarder = forwarder;
        _upstream = upstream;
        _transformer = transformer;
        _tracker = tracker;
        _log = log;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _agentKey = string.IsNullOrEmpty(_options.AgentKey) ? null : new Secret(_options.AgentKey);
        foreach (var kind in new[] { ProviderKind.Anthropic, ProviderKind.OpenAI, ProviderKind.OpenRouter })
        {
            if (_options.Providers.For(kind).ApiKey is { Length: > 0 } key)
            {
                SecretRedactor.Shared.Register(key);
            }
        }

        _prefixes =
        [
            _options.Providers.Anthropic.BaseUrl.TrimEnd('/'),
            _options.Providers.OpenAI.BaseUrl.TrimEnd('/'),
            _options.Providers.OpenRouter.BaseUrl.TrimEnd('/'),
        ];
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var route = RouteTable.Match(request.Method, request.Path.Value ?? "/", LooksLikeAnthropic(request));
        if (route is null)
        {
            await ProblemResponses.WriteAsync(context, StatusCodes.Status404NotFound, "Not Found",
                $"no route for {request.Method} {request.Path}", listRoutes: true).ConfigureAwait(false);
            return;
        }

        if (_agentKey is null)
        {
            await ProblemResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Not configured",
                "the proxy has no agent key; set WHIM_AGENT_KEY", "WHIM_AGENT_KEY").ConfigureAwait(false);
            return;
        }

        if (!_agentKey.Matches(PresentedKey(request)))
        {
            Log.Refused(_logger, request.Method, request.Path.Value ?? "/");
            await ProblemResponses.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized",
                "the request must carry the agent key in x-api-key or Authorization: Bearer", "x-api-key").ConfigureAwait(false);
            return;
        }

        var provider = _options.Providers.For(route.Provider);
        if (string.IsNullOrEmpty(provider.ApiKey))
        {
            var setting = ProviderNames.SettingPrefix(route.Provider) + "APIKEY";
            await ProblemResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Provider not configured",
                $"no credential for {ProviderNames.Of(route.Provider)}; set {setting}", setting).ConfigureAwait(false);
            return;
        }

        var limit = _options.Proxy.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            await ProblemResponses.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Payload Too Large",
                $"the body has {request.ContentLength} bytes; the limit is {limit} (WHIM_PROXY__MAXREQUESTBODYBYTES)", "body").ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        await ForwardAsync(context, route).ConfigureAwait(false);
    }

    private async Task ForwardAsync(HttpContext context, ProviderRoute route)
    {
        var call = new ProxyCall(route, context.TraceIdentifier, _time);
        context.Features.Set(call);
        var body = context.Response.Body;
        context.Response.Body = new ResponseTee(body, call);
        _tracker.RequestStarted();
        _metrics.Started();
        var error = ForwarderError.None;
        Exception? exception = null;
        try
        {
            var prefix = _prefixes[(int)route.Provider];
            error = await _forwarder.SendAsync(context, prefix, _upstream.Invoker, _upstream.RequestConfig, _transformer, context.RequestAborted).ConfigureAwait(false);
            if (error != ForwarderError.None)
            {
                exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
                await AnswerFailureAsync(context, error, exception).ConfigureAwait(false);
            }
        }
        finally
        {
            context.Response.Body = body;
            _tracker.RequestEnded();
            Record(context, call, error, exception);
        }
    }

    // YARP has set a bare status for failures before the answer started; give it a body that says what happened.
    private static async Task AnswerFailureAsync(HttpContext context, ForwarderError error, Exception? exception)
    {
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (exception is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } || IsBodyTooLarge(exception))
        {
            await ProblemResponses.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Payload Too Large",
                "the body is larger than WHIM_PROXY__MAXREQUESTBODYBYTES", "body").ConfigureAwait(false);
            return;
        }

        var status = context.Response.StatusCode >= 400 ? context.Response.StatusCode : StatusCodes.Status502BadGateway;
        await ProblemResponses.WriteAsync(context, status, "Upstream failure", $"forwarding failed: {error}").ConfigureAwait(false);
    }

    private static bool IsBodyTooLarge(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
            {
                return true;
            }
        }

        return false;
    }

    private void Record(HttpContext context, ProxyCall call, ForwarderError error, Exception? exception)
    {
        var cancelled = context.RequestAborted.IsCancellationRequested
            || error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient;
        var usage = call.Usage;
        var provider = ProviderNames.Of(call.Route.Provider);
        var status = context.Response.StatusCode;
        var duration = call.Elapsed;
        _metrics.Ended(provider, status, call.TimeToFirstByte, duration);
        _metrics.Tokens(usage.Model, "input", usage.InputTokens);
        _metrics.Tokens(usage.Model, "output", usage.OutputTokens);
        _metrics.Tokens(usage.Model, "cache_read", usage.CacheReadTokens);
        _metrics.Tokens(usage.Model, "cache_write", usage.CacheWriteTokens);
        _log.Append(new GenerationRecord(
            call.StartedAt,
            _options.TaskId,
            provider,
            call.Route.Pattern,
            usage.Model,
            usage.GenerationId,
            call.RequestId,
            call.UpstreamRequestId,
            status,
            call.Streamed,
            cancelled,
            call.TimeToFirstByte?.TotalMilliseconds,
            duration.TotalMilliseconds,
            new GenerationTokens(usage.InputTokens, usage.OutputTokens, usage.CacheReadTokens, usage.CacheWriteTokens),
            call.Attempts,
            error == ForwarderError.None ? null : error.ToString()));
        if (error != ForwarderError.None && !cancelled)
        {
            Log.ForwardFailed(_logger, provider, call.Route.Pattern, error.ToString(), exception);
        }
    }

    private static bool LooksLikeAnthropic(HttpRequest request) =>
        request.Headers.ContainsKey("anthropic-version") || request.Headers.ContainsKey("x-api-key");

    private static string? PresentedKey(HttpRequest request)
    {
        var apiKey = request.Headers["x-api-key"].ToString();
        if (apiKey.Length > 0)
        {
            return apiKey;
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "AgentKeyRefused", Level = LogLevel.Warning, Message = "Refused {Method} {Path}: not the agent key")]
        public static partial void Refused(ILogger logger, string method, string path);

        [LoggerMessage(EventId = 2, EventName = "ForwardFailed", Level = LogLevel.Warning, Message = "Forwarding to {Provider} {Endpoint} failed: {Error}")]
        public static partial void ForwardFailed(ILogger logger, string provider, string endpoint, string error, Exception? exception);
    }
}
