namespace Whim.Control.History;

internal sealed record StreamAck(string Stream, long Length);

internal sealed record StreamInfo(string Stream, long Length, string Kind);

internal sealed record StreamList(IReadOnlyList<StreamInfo> Streams);

internal sealed record SearchHit(string TaskId, string Stream, string Kind, long Offset, DateTimeOffset At, string Snippet, double Score);

internal sealed record SearchResults(string Query, string Mode, IReadOnlyList<SearchHit> Hits);

/// <summary>Stream names and kinds: relative paths such as <c>claude/projects/-app/x.jsonl</c> or <c>shell/bash_history</c>.</summary>
internal static class StreamNames
{
    public const string Conversation = "conversation";
    public const string Shell = "shell";
    public const string Other = "other";

    /// <summary>Null when valid, else the reason (no <c>..</c>, no leading <c>/</c>, printable, at most 512 characters).</summary>
    public static string? Problem(string? stream)
    {
        if (string.IsNullOrEmpty(stream))
        {
            return "is required";
        }

        if (stream.Length > 512)
        {
            return "is longer than 512 characters";
        }

        if (stream[0] == '/' || stream.Contains('\\', StringComparison.Ordinal) || stream.EndsWith('/'))
        {
            return "must be a relative path";
        }

        foreach (var segment in stream.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return "must not contain empty, '.' or '..' segments";
            }
        }

        foreach (var c in stream)
        {
            if (char.IsControl(c) || c > '~')
            {
                return "must be printable ASCII";
            }
        }

        return null;
    }

    public static string KindOf(string stream) =>
        stream.StartsWith("shell/", StringComparison.Ordinal) ? Shell
        : (stream.StartsWith("claude/", StringComparison.Ordinal) || stream.StartsWith("codex/", StringComparison.Ordinal)) && stream.EndsWith(".jsonl", StringComparison.Ordinal) ? Conversation
        : Other;
}
