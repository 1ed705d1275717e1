using Whim.GenerationProxy.Providers;
using Whim.GenerationProxy.Streaming;

namespace Whim.GenerationProxy.GenerationLog;

/// <summary>
/// Reads id, model and usage out of an answer while it passes through: as SSE events for a streamed answer, as
/// body chunks for a JSON one. Only the few events that carry usage are parsed (Anthropic <c>message_start</c> and
/// <c>message_delta</c>; the first chat chunk and the one with <c>usage</c>; the Responses lifecycle events), so
/// text deltas cost a type comparison and nothing more.
/// </summary>
internal sealed class UsageExtractor : ISseEventHandler
{
    private readonly ProviderApi _api;
    private readonly SseEventParser _sse;
    private JsonUsageScanner? _body;
    private bool _sawChatChunk;

    public UsageExtractor(ProviderApi api)
    {
        _api = api;
        _sse = new SseEventParser(this);
    }

    /// <summary>What was seen so far.</summary>
    public GenerationUsage Usage { get; } = new();

    /// <summary>SSE events seen so far.</summary>
    public long EventCount => _sse.EventCount;

    /// <summary>Feeds the next chunk of a <c>text/event-stream</c> answer.</summary>
    public void FeedStream(ReadOnlySpan<byte> chunk) => _sse.Feed(chunk);

    /// <summary>Feeds the next chunk of a JSON answer.</summary>
    public void FeedBody(ReadOnlySpan<byte> chunk)
    {
        _body ??= new JsonUsageScanner(Usage);
        _body.Feed(chunk, isFinalBlock: false);
    }

    public void OnEvent(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data)
    {
        if (ShouldScan(eventType, data))
        {
            JsonUsageScanner.ScanDocument(data, Usage);
        }
    }

    private bool ShouldScan(ReadOnlySpan<byte> eventType, ReadOnlySpan<byte> data)
    {
        switch (_api)
        {
            case ProviderApi.AnthropicMessages:
                return eventType.IsEmpty
                    ? data.IndexOf("\"message_start\""u8) >= 0 || data.IndexOf("\"message_delta\""u8) >= 0
                    : eventType.SequenceEqual("message_start"u8) || eventType.SequenceEqual("message_delta"u8);
            case ProviderApi.ChatCompletions:
                if (data.SequenceEqual("[DONE]"u8))
                {
                    return false;
                }

                if (!_sawChatChunk)
                {
                    _sawChatChunk = true;
                    return true;
                }

                return data.IndexOf("\"usage\""u8) >= 0 && data.IndexOf("\"usage\":null"u8) < 0;
            case ProviderApi.Responses:
                var type = eventType.IsEmpty ? data : eventType;
                return type.IndexOf("response.created"u8) >= 0
                    || type.IndexOf("response.completed"u8) >= 0
                    || type.IndexOf("response.incomplete"u8) >= 0
                    || type.IndexOf("response.failed"u8) >= 0;
            default:
                return false;
        }
    }
}
