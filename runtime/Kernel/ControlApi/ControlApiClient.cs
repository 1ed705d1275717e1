using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Whim.Runtime.Logging;

namespace Whim.Runtime.ControlApi;

/// <summary>
/// The typed client every runtime service uses to talk to the control API: bearer token from configuration, JSON
/// through source-generated contracts, every call through <see cref="ControlApiPipeline"/>. Failures surface as
/// <see cref="ControlApiException"/> with a message that names the call and never the token.
/// </summary>
public sealed partial class ControlApiClient
{
    private const int DetailLimit = 300;

    private readonly HttpClient _http;
    private readonly ControlApiOptions _options;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ILogger<ControlApiClient> _logger;
    private readonly Secret? _token;

    public ControlApiClient(HttpClient http, IOptions<ControlApiOptions> options, ControlApiPipeline pipeline, ILogger<ControlApiClient> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pipeline);
        _http = http;
        _options = options.Value;
        _pipeline = pipeline.Pipeline;
        _logger = logger;
        _token = string.IsNullOrEmpty(_options.Token) ? null : new Secret(_options.Token);
        if (_options.IsConfigured)
        {
            _http.BaseAddress = new Uri(_options.BaseUrl!.TrimEnd('/') + "/");
        }

        // The pipeline owns timeouts; HttpClient's own 100 s default would cut across it.
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    /// <summary>True when <c>WHIM_API_URL</c> is set.</summary>
    public bool IsConfigured => _options.IsConfigured;

    /// <summary>GETs <paramref name="path"/> and reads the JSON answer.</summary>
    public async Task<TResponse> GetAsync<TResponse>(string path, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, path, static () => null, cancellationToken);
        return await ReadAsync(response, responseType, cancellationToken);
    }

    /// <summary>Sends <paramref name="body"/> as JSON and reads the JSON answer.</summary>
    public async Task<TResponse> SendAsync<TRequest, TResponse>(
        HttpMethod method,
        string path,
        TRequest body,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(method, path, () => JsonContent.Create(body, requestType), cancellationToken);
        return await ReadAsync(response, responseType, cancellationToken);
    }

    /// <summary>Sends <paramref name="body"/> as JSON; succeeds on any 2xx.</summary>
    public async Task SendAsync<TRequest>(HttpMethod method, string path, TRequest body, JsonTypeInfo<TRequest> requestType, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(method, path, () => JsonContent.Create(body, requestType), cancellationToken);
    }

    /// <summary>
    /// Sends one logical request, retried as the pipeline allows. <paramref name="content"/> is called once per attempt
    /// (content cannot be sent twice). Returns the successful response; the caller disposes it.
    /// </summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Func<HttpContent?> content, CancellationToken cancellationToken = default) =>
        SendCoreAsync(method, path, content, HttpCompletionOption.ResponseContentRead, cancellationToken);

    /// <summary>
    /// Like <see cref="SendAsync(HttpMethod, string, Func{HttpContent?}, CancellationToken)"/>, but answers as soon as
    /// the headers of a successful response arrived, so the caller can stream a large body (read it with
    /// <c>ReadAsStreamAsync</c>; the pipeline's timeouts and retries cover the call up to the headers only).
    /// </summary>
    public Task<HttpResponseMessage> SendStreamingAsync(HttpMethod method, string path, Func<HttpContent?> content, CancellationToken cancellationToken = default) =>
        SendCoreAsync(method, path, content, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, Func<HttpContent?> content, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        var call = $"{method.Method} {path}";
        if (!_options.IsConfigured)
        {
            throw new ControlApiException(ControlApiFailure.NotConfigured, call, 0, null, null, null);
        }

        var state = new CallState(this, method, path.TrimStart('/'), content, completion);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(static (ctx, s) => s.AttemptAsync(ctx.CancellationToken), context, state);
        }
        catch (BrokenCircuitException e)
        {
            Log.CallFailed(_logger, call, "circuit-open", state.Attempts);
            throw new ControlApiException(ControlApiFailure.CircuitOpen, call, state.Attempts, null, null, e);
        }
        catch (TimeoutRejectedException e)
        {
            Log.CallFailed(_logger, call, "timeout", state.Attempts);
            throw new ControlApiException(ControlApiFailure.Timeout, call, state.Attempts, null, null, e);
        }
        catch (HttpRequestException e)
        {
            Log.CallFailed(_logger, call, "unreachable", state.Attempts);
            throw new ControlApiException(ControlApiFailure.Unreachable, call, state.Attempts, null, e.Message, e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var detail = await ReadDetailAsync(response, cancellationToken);
            Log.CallFailed(_logger, call, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), state.Attempts);
            throw new ControlApiException(ControlApiFailure.HttpStatus, call, state.Attempts, response.StatusCode, detail, null);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var value = await response.Content.ReadFromJsonAsync(type, cancellationToken);
        return value ?? throw new ControlApiException($"control API {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: empty answer where JSON was expected");
    }

    private static async Task<string?> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            text = SecretRedactor.Shared.Redact(text.Trim());
            return text.Length > DetailLimit ? text[..DetailLimit] + "…" : text;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private sealed class CallState(ControlApiClient client, HttpMethod method, string path, Func<HttpContent?> content, HttpCompletionOption completion)
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public async ValueTask<HttpResponseMessage> AttemptAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            using var request = new HttpRequestMessage(method, path) { Content = content() };
            if (client._token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", client._token.Reveal());
            }

            return await client._http.SendAsync(request, completion, cancellationToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "ControlApiCallFailed", Level = LogLevel.Warning,
            Message = "Control API call {Call} failed ({Outcome}) after {Attempts} attempt(s)")]
        public static partial void CallFailed(ILogger logger, string call, string outcome, int attempts);
    }
}
