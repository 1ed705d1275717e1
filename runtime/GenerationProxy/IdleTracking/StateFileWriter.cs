using System.Threading.Channels;
using Whim.Runtime.Files;

namespace Whim.GenerationProxy.IdleTracking;

/// <summary>
/// Keeps the state file (<c>/tmp/claude_state</c>, <c>WHIM_STATE_FILE</c>) equal to the tracker's state: the
/// current document at start, then every transition, each written atomically (temp file + rename) so a reader polling
/// the file never sees a half-written one. Writes happen off the request path; transitions that queue up behind a
/// write collapse into the newest.
/// </summary>
internal sealed partial class StateFileWriter(AgentStateTracker tracker, string path, ILogger<StateFileWriter> logger) : BackgroundService
{
    /// <summary>The file written.</summary>
    public string Path { get; } = path;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var transitions = Channel.CreateUnbounded<AgentStateSnapshot>(new UnboundedChannelOptions { SingleReader = true });
        using var subscription = tracker.Subscribe(s => transitions.Writer.TryWrite(s));
        Write(tracker.Current);
        try
        {
            while (await transitions.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                // Transitions that queued up while the last write ran are superseded: only the newest is written.
                AgentStateSnapshot? newest = null;
                while (transitions.Reader.TryRead(out var snapshot))
                {
                    newest = snapshot;
                }

                if (newest is not null)
                {
                    Write(newest);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // The last word on shutdown is the state at that moment.
        Write(tracker.Current);
    }

    private void Write(AgentStateSnapshot snapshot)
    {
        try
        {
            // Atomic for readers; not fsynced: the file describes this process and is rewritten when it starts again.
            AtomicFile.WriteJson(Path, snapshot, ProxyJsonContext.Default.AgentStateSnapshot, durable: false);
        }
        catch (IOException e)
        {
            Log.WriteFailed(logger, Path, e);
        }
        catch (UnauthorizedAccessException e)
        {
            Log.WriteFailed(logger, Path, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "StateFileWriteFailed", Level = LogLevel.Error, Message = "Could not write the state file {Path}")]
        public static partial void WriteFailed(ILogger logger, string path, Exception exception);
    }
}
