using Whim.GenerationProxy.GenerationLog;
using Whim.GenerationProxy.Providers;

namespace Whim.GenerationProxy.Forwarding;

/// <summary>
/// One forwarded call: its route, timings, and the usage read from the answer as it streams by. Lives in the
/// request's features so the transformer, the response tee and the endpoint share it.
/// </summary>
internal sealed class ProxyCall(ProviderRoute route, string requestId, TimeProvider time)
{
    private readonly UsageExtractor _extractor = new(route.Api);
    private readonly long _started = time.GetTimestamp();
    private long _firstByte;
    private bool _parse;

    public ProviderRoute Route { get; } = route;

    public string RequestId { get; } = requestId;

    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    /// <summary>True for a <c>text/event-stream</c> answer: flushed per write and parsed as events.</summary>
    public bool Streamed { get; private set; }

    public int Attempts { get; set; } = 1;

    public string? UpstreamRequestId { get; private set; }

    public GenerationUsage Usage => _extractor.Usage;

    public TimeSpan? TimeToFirstByte => _firstByte == 0 ? null : time.GetElapsedTime(_started, _firstByte);

    public TimeSpan Elapsed => time.GetElapsedTime(_started);

    /// <summary>Called once the upstream's headers are in: decides how the body is read.</summary>
    public void OnResponseHeaders(HttpResponseMessage response)
    {
        var content = response.Content.Headers;
        var mediaType = content.ContentType?.MediaType;
        Streamed = string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);
        var encoded = content.ContentEncoding.Count > 0 && !content.ContentEncoding.Contains("identity");
        _parse = !encoded && (Streamed || (mediaType?.EndsWith("json", StringComparison.OrdinalIgnoreCase) ?? false));
        if (response.Headers.TryGetValues("request-id", out var ids) || response.Headers.TryGetValues("x-request-id", out ids))
        {
            UpstreamRequestId = ids.FirstOrDefault();
        }
    }

    /// <summary>Called with every chunk on its way to the client.</summary>
    public void OnResponseBytes(ReadOnlySpan<byte> chunk)
    {
        if (_firstByte == 0)
        {
            _firstByte = time.GetTimestamp();
        }

        if (!_parse)
        {
            return;
        }

        if (Streamed)
        {
            _extractor.FeedStream(chunk);
        }
        else
        {
            _extractor.FeedBody(chunk);
        }
    }
}
