using System.Buffers;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;
using Whim.BackupAgent.Checkpoints;
using Whim.BackupAgent.Configuration;
using Whim.BackupAgent.Sources;
using Whim.BackupAgent.Status;

namespace Whim.BackupAgent.Uploading;

/// <summary>How one stream's upload ended.</summary>
internal enum UploadResult
{
    /// <summary>Everything seen is acknowledged (or the file is gone).</summary>
    Done,

    /// <summary>The backend did not acknowledge; the other streams would fare the same.</summary>
    BackendFailed,

    /// <summary>This file could not be read or kept changing; other streams may still go.</summary>
    LocalFailed,
}

/// <summary>
/// Brings one stream up to the length its file had when this call first looked at it, one bounded chunk at a time
/// (a pooled buffer of <see cref="BackupOptions.ChunkBytes"/> plus the tail window; a file is never read whole).
/// The decisions are <see cref="UploadPlanner"/>'s; this type only reads, sends and records.
/// </summary>
internal sealed partial class StreamUploader(
    HistoryClient client,
    CheckpointStore checkpoints,
    BackupStatusBoard board,
    BackupMetrics metrics,
    IOptions<BackupOptions> options,
    ILogger<StreamUploader> logger)
{
    // A stream that makes no progress this many times in a row (answers that keep moving the offset) waits for the next pass.
    private const int MaxStepsWithoutProgress = 8;

    private readonly int _chunkBytes = options.Value.ChunkBytes;

    /// <summary>Uploads what <paramref name="file"/> held when first looked at; anything but done is retried on a later pass.</summary>
    public async Task<UploadResult> UploadAsync(string taskId, SourceFile file, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_chunkBytes + UploadPlanner.TailWindow);
        try
        {
            long target = -1;
            var withoutProgress = 0;
            while (withoutProgress < MaxStepsWithoutProgress)
            {
                SafeFileHandle handle;
                try
                {
                    handle = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    board.Gone(file);
                    return UploadResult.Done;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    board.Failed(file, e.Message);
                    return UploadResult.LocalFailed;
                }

                using (handle)
                {
                    var status = FileStat.OfHandle(handle);
                    if (status.Kind != FileKind.Regular)
                    {
                        return UploadResult.Done;
                    }

                    target = target < 0 ? status.Length : target;
                    var checkpoint = checkpoints.Get(file.Stream);
                    var step = UploadPlanner.Plan(checkpoint, status.Identity, status.Length, _chunkBytes);
                    board.Observe(file, status.Length, checkpoint?.Identity is null ? 0 : checkpoint.Acknowledged);
                    if (!step.Send || (!step.Truncate && step.Offset >= target))
                    {
                        return UploadResult.Done;
                    }

                    var start = UploadPlanner.ReadStart(step);
                    var window = buffer.AsMemory(0, (int)(step.End - start));
                    if (ReadFully(handle, window.Span, start) < window.Length)
                    {
                        withoutProgress++;
                        continue;
                    }

                    if (!UploadPlanner.TailMatches(checkpoint, step, window.Span))
                    {
                        Log.Rewritten(logger, file.Stream);
                        checkpoints.Set(checkpoint! with { Identity = null });
                        withoutProgress++;
                        continue;
                    }

                    if (step.Truncate)
                    {
                        Log.Restarting(logger, file.Stream, checkpoint?.Acknowledged ?? 0, status.Length);
                    }

                    var body = window[(int)(step.Offset - start)..];
                    var outcome = await client.AppendAsync(taskId, file.Stream, step.Offset, body, step.Truncate, cancellationToken);
                    if (outcome is UploadOutcome.Failed failed)
                    {
                        metrics.Failed();
                        board.Failed(file, failed.Error);
                        return UploadResult.BackendFailed;
                    }

                    var next = UploadPlanner.Apply(checkpoint, file, status.Identity, status.Length, step, UploadPlanner.TailOf(window.Span), outcome)!;
                    checkpoints.Set(next, persist: false);
                    board.Acknowledged(file, next.Acknowledged);
                    if (outcome is UploadOutcome.Acknowledged { Length: var held } && held == step.End)
                    {
                        metrics.Uploaded(step.Count);
                        withoutProgress = 0;
                    }
                    else
                    {
                        Log.Resynchronised(logger, file.Stream, step.Offset, next.Acknowledged);
                        withoutProgress++;
                    }
                }
            }

            board.Failed(file, "no progress: the file or the backend keeps changing under the upload");
            return UploadResult.LocalFailed;
        }
        finally
        {
            checkpoints.SaveIfDirty();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(handle, destination[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, EventName = "StreamRestarting", Level = LogLevel.Information,
            Message = "Stream {Stream} starts over from byte 0 (acknowledged {Acknowledged}, file now {Length} bytes): new, truncated or rotated")]
        public static partial void Restarting(ILogger logger, string stream, long acknowledged, long length);

        [LoggerMessage(EventId = 11, EventName = "StreamRewritten", Level = LogLevel.Information,
            Message = "Stream {Stream}: acknowledged bytes changed in place; starting over")]
        public static partial void Rewritten(ILogger logger, string stream);

        [LoggerMessage(EventId = 12, EventName = "StreamResynchronised", Level = LogLevel.Information,
            Message = "Stream {Stream}: sent at {Offset}, server holds {Held}; continuing from there")]
        public static partial void Resynchronised(ILogger logger, string stream, long offset, long held);
    }
}
