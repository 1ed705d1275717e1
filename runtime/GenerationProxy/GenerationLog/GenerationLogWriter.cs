using System.Text.Json;
using System.Threading.Channels;

namespace Whim.GenerationProxy.GenerationLog;

/// <summary>
/// Appends one JSON line per model call to <c>&lt;log dir&gt;/generations.jsonl</c>. Calls hand their record to a
/// channel and return; a single background writer appends and flushes, so the request path never waits on disk.
/// </summary>
internal sealed partial class GenerationLogWriter(string path, ILogger<GenerationLogWriter> logger) : BackgroundService
{
    private static readonly byte[] s_newLine = "\n"u8.ToArray();
    private readonly Channel<GenerationRecord> _records = Channel.CreateUnbounded<GenerationRecord>(new UnboundedChannelOptions { SingleReader = true });
    private long _written;

    /// <summary>The file written.</summary>
    public string Path { get; } = path;

    /// <summary>Lines written so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Queues a record; never blocks.</summary>
    public void Append(GenerationRecord record) => _records.Writer.TryWrite(record);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _records.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1, useAsync: true);
        await using (file.ConfigureAwait(false))
        {
            // Drain what is queued even when stopping: the records of calls that ended during shutdown matter.
            while (await _records.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (_records.Reader.TryRead(out var record))
                {
                    try
                    {
                        var line = JsonSerializer.SerializeToUtf8Bytes(record, ProxyJsonContext.Default.GenerationRecord);
                        await file.WriteAsync(line, CancellationToken.None).ConfigureAwait(false);
                        await file.WriteAsync(s_newLine, CancellationToken.None).ConfigureAwait(false);
                        await file.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                        Interlocked.Increment(ref _written);
                    }
                    catch (IOException e)
                    {
                        Log.WriteFailed(logger, Path, e);
                    }
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "GenerationLogWriteFailed", Level = LogLevel.Error, Message = "Could not append to the generation log {Path}")]
        public static partial void WriteFailed(ILogger logger, string path, Exception exception);
    }
}
