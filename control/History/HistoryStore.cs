using Microsoft.Extensions.Options;

namespace Whim.Control.History;

internal enum AppendOutcome
{
    Appended,
    Duplicate,
    Gap,
    Mismatch,
}

/// <summary>
/// History streams: bytes in <c>&lt;data&gt;/history/&lt;task&gt;/&lt;stream&gt;</c>, the acknowledged length in the
/// database (the file may hold a torn tail past it after a crash; the next append cuts it off). Appends are
/// idempotent by offset. Complete lines are indexed for full-text search as they arrive.
/// </summary>
internal sealed class HistoryStore(Database database, IOptions<StorageOptions> storage, TimeProvider time)
{
    private readonly SemaphoreSlim[] _locks = [.. Enumerable.Range(0, 64).Select(static _ => new SemaphoreSlim(1, 1))];

    public string PathOf(string taskId, string stream) => Path.Join(storage.Value.DataDirectory, "history", taskId, stream);

    public async Task<(AppendOutcome Outcome, long Length)> AppendAsync(string workspaceId, string taskId, string stream, long offset, byte[] body, bool truncate, CancellationToken ct)
    {
        var gate = _locks[(int)((uint)HashCode.Combine(taskId, stream) % (uint)_locks.Length)];
        await gate.WaitAsync(ct);
        try
        {
            var state = await database.ReadAsync(
                s => s.SingleAsync(
                    "SELECT length, indexed_length FROM history_streams WHERE task_id = @task AND stream = @stream",
                    static r => new long[] { r.Long(0), r.Long(1) }, ("@task", taskId), ("@stream", stream)),
                ct);
            var held = truncate ? 0 : state?[0] ?? 0;
            var indexed = truncate ? 0 : state?[1] ?? 0;
            if (offset > held)
            {
                return (AppendOutcome.Gap, held);
            }

            var path = PathOf(taskId, stream);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 4096, useAsync: true);
            var overlap = (int)Math.Min(held - offset, body.Length);
            if (overlap > 0)
            {
                var existing = new byte[overlap];
                file.Position = offset;
                await file.ReadExactlyAsync(existing, ct);
                if (!existing.AsSpan().SequenceEqual(body.AsSpan(0, overlap)))
                {
                    return (AppendOutcome.Mismatch, held);
                }
            }

            if (offset + body.Length <= held && !truncate)
            {
                return (AppendOutcome.Duplicate, held);
            }

            file.SetLength(held);
            file.Position = held;
            await file.WriteAsync(body.AsMemory(overlap), ct);
            await file.FlushAsync(ct);
            file.Flush(flushToDisk: true);
            var length = held + body.Length - overlap;

            var kind = StreamNames.KindOf(stream);
            var (fragments, consumed) = await IndexableLinesAsync(file, kind, indexed, length, ct);
            var now = time.Millis();
            await database.WriteAsync(
                async s =>
                {
                    if (truncate)
                    {
                        await s.ExecuteAsync(SqlDialect.DeleteSearchText, ("@task", taskId), ("@stream", stream));
                    }

                    await s.ExecuteAsync(
                        "INSERT INTO history_streams (task_id, stream, kind, length, indexed_length, updated_at) VALUES (@task, @stream, @kind, @length, @indexed, @at) " +
                        "ON CONFLICT (task_id, stream) DO UPDATE SET length = excluded.length, indexed_length = excluded.indexed_length, updated_at = excluded.updated_at",
                        ("@task", taskId), ("@stream", stream), ("@kind", kind), ("@length", length), ("@indexed", indexed + consumed), ("@at", now));
                    foreach (var (position, content) in fragments)
                    {
                        await s.ExecuteAsync(
                            database.Dialect.InsertSearchText,
                            ("@content", content), ("@workspace", workspaceId), ("@task", taskId), ("@stream", stream), ("@kind", kind), ("@position", position), ("@at", now));
                    }
                },
                ct);
            return (AppendOutcome.Appended, length);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The text of the complete lines between <paramref name="from"/> and <paramref name="to"/>, and how many bytes they span.</summary>
    private static async Task<(List<(long Position, string Content)> Fragments, long Consumed)> IndexableLinesAsync(FileStream file, string kind, long from, long to, CancellationToken ct)
    {
        var fragments = new List<(long, string)>();
        if (kind == StreamNames.Other || to <= from)
        {
            return (fragments, kind == StreamNames.Other ? to - from : 0);
        }

        var pending = new byte[to - from];
        file.Position = from;
        await file.ReadExactlyAsync(pending, ct);
        var start = 0;
        int newline;
        while ((newline = Array.IndexOf(pending, (byte)'\n', start)) >= 0)
        {
            var text = HistoryText.Extract(kind, pending.AsSpan(start, newline - start));
            if (text is not null)
            {
                fragments.Add((from + start, text.Replace("\0", string.Empty, StringComparison.Ordinal)));
            }

            start = newline + 1;
        }

        return (fragments, start);
    }

    public Task<List<StreamInfo>> ListAsync(string taskId, CancellationToken ct) =>
        database.ReadAsync(
            s => s.QueryAsync(
                "SELECT stream, length, kind FROM history_streams WHERE task_id = @task ORDER BY stream",
                static r => new StreamInfo(r.Text(0), r.Long(1), r.Text(2)), ("@task", taskId)),
            ct);

    public async Task<long?> LengthAsync(string taskId, string stream, CancellationToken ct) =>
        await database.ReadAsync(
            async s => await s.ScalarAsync("SELECT length FROM history_streams WHERE task_id = @task AND stream = @stream", ("@task", taskId), ("@stream", stream)) is { } v
                ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)
                : (long?)null,
            ct);

    /// <summary>Keyword search over the workspace's indexed history, best first.</summary>
    public Task<List<SearchHit>> SearchAsync(string workspaceId, string words, string? kind, string? taskId, int limit, CancellationToken ct) =>
        database.ReadAsync(
            s => s.QueryAsync(
                database.Dialect.SearchStatement,
                static r => new SearchHit(r.Text(0), r.Text(1), r.Text(2), r.Long(3), r.Time(4), r.Text(5), Convert.ToDouble(r.GetValue(6), System.Globalization.CultureInfo.InvariantCulture)),
                ("@workspace", workspaceId), ("@query", database.Dialect.ToSearchQuery(words)), ("@kind", kind), ("@task", taskId), ("@limit", (long)limit)),
            ct);
}
