using System.Collections.Concurrent;
using Whim.BackupAgent.Sources;

namespace Whim.BackupAgent.Status;

/// <summary>
/// What <c>/status</c>, <c>/metrics</c> and the flush endpoint report: per stream the local and acknowledged bytes
/// and the last error, the entries skipped for safety, and the latest pass.
/// </summary>
internal sealed class BackupStatusBoard(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, StreamState> _streams = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<SkippedEntry> _skipped = [];
    private DateTimeOffset? _lastPassAt;
    private string? _lastPassError;

    /// <summary>Records the file's current length and the acknowledged bytes.</summary>
    public void Observe(SourceFile file, long localBytes, long acknowledgedBytes)
    {
        var state = StateOf(file);
        lock (state)
        {
            state.LocalBytes = localBytes;
            state.AcknowledgedBytes = acknowledgedBytes;
        }
    }

    /// <summary>Records an acknowledgement.</summary>
    public void Acknowledged(SourceFile file, long acknowledgedBytes)
    {
        var state = StateOf(file);
        lock (state)
        {
            state.AcknowledgedBytes = acknowledgedBytes;
            state.LastError = null;
            state.LastAcknowledgedAt = time.GetUtcNow();
        }
    }

    /// <summary>Records a failed upload.</summary>
    public void Failed(SourceFile file, string error)
    {
        var state = StateOf(file);
        lock (state)
        {
            state.LastError = error;
        }
    }

    /// <summary>Forgets a stream whose file is gone (its backend copy stays).</summary>
    public void Gone(SourceFile file) => _streams.TryRemove(file.Stream, out _);

    /// <summary>Records the outcome of a pass and the entries it skipped.</summary>
    public void PassCompleted(IReadOnlyList<SkippedEntry> skipped, string? error)
    {
        _skipped = skipped;
        lock (_streams)
        {
            _lastPassAt = time.GetUtcNow();
            _lastPassError = error;
        }
    }

    /// <summary>Streams with bytes not yet acknowledged or a failed last upload.</summary>
    public IReadOnlyList<string> Pending()
    {
        var pending = new List<string>();
        foreach (var state in Snapshot())
        {
            if (state.LagBytes > 0 || state.LastError is not null)
            {
                pending.Add(state.Stream);
            }
        }

        return pending;
    }

    /// <summary>Unacknowledged bytes over all streams.</summary>
    public long TotalLag()
    {
        long lag = 0;
        foreach (var state in Snapshot())
        {
            lag += state.LagBytes;
        }

        return lag;
    }

    /// <summary>The document <c>/status</c> answers.</summary>
    public StatusDocument Document(string? taskId, bool enabled)
    {
        lock (_streams)
        {
            return new StatusDocument
            {
                TaskId = taskId,
                Enabled = enabled,
                LastPassAt = _lastPassAt,
                LastPassError = _lastPassError,
                LagBytes = TotalLag(),
                Streams = [.. Snapshot().OrderBy(s => s.Stream, StringComparer.Ordinal)],
                Skipped = [.. _skipped.Select(s => new SkippedStatus { Path = s.Path, Reason = s.Reason })],
            };
        }
    }

    private List<StreamStatus> Snapshot()
    {
        var list = new List<StreamStatus>(_streams.Count);
        foreach (var state in _streams.Values)
        {
            lock (state)
            {
                list.Add(new StreamStatus
                {
                    Stream = state.Stream,
                    Path = state.Path,
                    LocalBytes = state.LocalBytes,
                    AcknowledgedBytes = state.AcknowledgedBytes,
                    LagBytes = Math.Max(0, state.LocalBytes - state.AcknowledgedBytes),
                    LastError = state.LastError,
                    LastAcknowledgedAt = state.LastAcknowledgedAt,
                });
            }
        }

        return list;
    }

    private StreamState StateOf(SourceFile file) => _streams.GetOrAdd(file.Stream, static (stream, path) => new StreamState(stream, path), file.Path);

    private sealed class StreamState(string stream, string path)
    {
        public string Stream { get; } = stream;

        public string Path { get; } = path;

        public long LocalBytes { get; set; }

        public long AcknowledgedBytes { get; set; }

        public string? LastError { get; set; }

        public DateTimeOffset? LastAcknowledgedAt { get; set; }
    }
}

/// <summary>The <c>/status</c> answer.</summary>
internal sealed class StatusDocument
{
    public string? TaskId { get; set; }

    public bool Enabled { get; set; }

    public DateTimeOffset? LastPassAt { get; set; }

    public string? LastPassError { get; set; }

    public long LagBytes { get; set; }

    public List<StreamStatus> Streams { get; set; } = [];

    public List<SkippedStatus> Skipped { get; set; } = [];
}

/// <summary>One stream in <c>/status</c>.</summary>
internal sealed class StreamStatus
{
    public string Stream { get; set; } = string.Empty;

    public string Path { get; set; } = string.Empty;

    public long LocalBytes { get; set; }

    public long AcknowledgedBytes { get; set; }

    public long LagBytes { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? LastAcknowledgedAt { get; set; }
}

/// <summary>One skipped entry in <c>/status</c>.</summary>
internal sealed class SkippedStatus
{
    public string Path { get; set; } = string.Empty;

    public string Reason { get; set; } = string.Empty;
}
