using Microsoft.Extensions.Options;
using Whim.BackupAgent.Checkpoints;
using Whim.BackupAgent.Configuration;
using Whim.BackupAgent.Sources;
using Whim.BackupAgent.Status;
using Whim.BackupAgent.Uploading;

namespace Whim.BackupAgent.Restore;

/// <summary>
/// Writes a task's history back into the home: lists the task's streams, downloads each, and replaces the file it
/// came from atomically, so <c>claude --resume</c> finds the conversation. Only names a configured root would produce
/// are written (a stream name can never address <c>.bashrc</c> or leave the home). Restoring this task's own
/// history (resume) checkpoints the streams as acknowledged so they are not uploaded again; restoring another task's
/// (fork) leaves them unacknowledged so they are uploaded to this task.
/// </summary>
internal sealed partial class HistoryRestorer(
    HistoryClient client,
    SourceRoots roots,
    CheckpointStore checkpoints,
    UploadGate gate,
    IOptions<BackupOptions> options,
    ILogger<HistoryRestorer> logger)
{
    public const string NotOurs = "no configured root produces this stream name";
    public const string LocalAhead = "local file is already at least as long";

    /// <summary>Restores the history of <paramref name="fromTask"/>; throws <see cref="Whim.Runtime.ControlApi.ControlApiException"/> when the backend fails.</summary>
    public async Task<RestoreReport> RestoreAsync(string fromTask, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fromTask);
        var resume = string.Equals(fromTask, options.Value.TaskId, StringComparison.Ordinal);
        var report = new RestoreReport { FromTask = fromTask, UploadedAsNew = !resume };
        using (await gate.EnterAsync(cancellationToken))
        {
            var list = await client.ListAsync(fromTask, cancellationToken);
            foreach (var entry in list.Streams)
            {
                var path = roots.PathFor(entry.Stream);
                if (path is null)
                {
                    report.Skipped.Add(new SkippedStatus { Path = entry.Stream, Reason = NotOurs });
                    continue;
                }

                var local = FileStat.OfPath(path);
                if (local.Kind == FileKind.Regular && local.Length >= entry.Length && entry.Length > 0)
                {
                    report.Skipped.Add(new SkippedStatus { Path = path, Reason = LocalAhead });
                    continue;
                }

                var bytes = await client.DownloadAsync(fromTask, entry.Stream, path, cancellationToken);
                if (resume)
                {
                    var written = FileStat.OfPath(path);
                    checkpoints.Set(new StreamCheckpoint(entry.Stream, path, written.Identity, bytes, TailOfFile(path, bytes)));
                }
                else
                {
                    checkpoints.Remove(entry.Stream);
                }

                report.Restored.Add(new RestoredStream { Stream = entry.Stream, Path = path, Bytes = bytes });
                Log.Restored(logger, entry.Stream, bytes, fromTask);
            }
        }

        return report;
    }

    // The checkpoint's fingerprint of the acknowledged tail, read back from the file just written.
    private static string TailOfFile(string path, long length)
    {
        var tail = new byte[(int)Math.Min(length, UploadPlanner.TailWindow)];
        using var handle = File.OpenHandle(path);
        var read = RandomAccess.Read(handle, tail, length - tail.Length);
        return UploadPlanner.TailOf(tail.AsSpan(0, read));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, EventName = "StreamRestored", Level = LogLevel.Information,
            Message = "Restored {Stream} ({Bytes} bytes) from task {FromTask}")]
        public static partial void Restored(ILogger logger, string stream, long bytes, string fromTask);
    }
}

/// <summary>What a restore did.</summary>
internal sealed class RestoreReport
{
    public string FromTask { get; set; } = string.Empty;

    /// <summary>True for a fork: the restored streams are uploaded to this task as new streams.</summary>
    public bool UploadedAsNew { get; set; }

    public List<RestoredStream> Restored { get; set; } = [];

    public List<SkippedStatus> Skipped { get; set; } = [];
}

/// <summary>One restored stream.</summary>
internal sealed class RestoredStream
{
    public string Stream { get; set; } = string.Empty;

    public string Path { get; set; } = string.Empty;

    public long Bytes { get; set; }
}
