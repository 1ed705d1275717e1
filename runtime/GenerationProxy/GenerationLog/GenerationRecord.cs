namespace Whim.GenerationProxy.GenerationLog;

/// <summary>One line of <c>generations.jsonl</c>: one model call as the proxy saw it.</summary>
internal sealed record GenerationRecord(
    DateTimeOffset Time,
    string? TaskId,
    string Provider,
    string Endpoint,
    string? Model,
    string? GenerationId,
    string RequestId,
    string? UpstreamRequestId,
    int Status,
    bool Streamed,
    bool Cancelled,
    double? TtfbMs,
    double DurationMs,
    GenerationTokens Usage,
    int Attempts,
    string? Error);

/// <summary>Token counts as the provider reported them; absent when it did not.</summary>
internal sealed record GenerationTokens(long? Input, long? Output, long? CacheRead, long? CacheWrite);
