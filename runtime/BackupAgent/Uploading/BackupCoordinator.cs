using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Whim.BackupAgent.Configuration;
using Whim.BackupAgent.Sources;
using Whim.BackupAgent.Status;

namespace Whim.BackupAgent.Uploading;

/// <summary>
/// Runs upload passes on every trigger — periodic, file change (debounced), on demand (<see cref="FlushAsync"/>) —
/// and one last time on SIGTERM within the grace period. A failed pass is retried with exponential backoff for as
/// long as it takes: nothing is dropped, the agent only waits (the kernel's circuit breaker makes it wait longer).
/// </summary>
internal sealed partial class BackupCoordinator(
    SourceScanner scanner,
    SourceRoots roots,
    StreamUploader uploader,
    BackupStatusBoard board,
    UploadGate gate,
    HistoryClient client,
    IOptions<BackupOptions> options,
    TimeProvider time,
    ILogger<BackupCoordinator> logger) : BackgroundService
{
    private readonly BackupOptions _options = options.Value;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _requested;
    private long _cleanThrough;
    private TaskCompletionSource _passEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True when there is a task and a control API to upload to.</summary>
    public bool Enabled => _options.HasTask && client.IsConfigured;

    /// <summary>Asks for a pass as soon as possible.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>
    /// Returns true once a pass that started after this call has acknowledged every byte it saw, false when
    /// <paramref name="timeout"/> passes first.
    /// </summary>
    public async Task<bool> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var generation = Interlocked.Increment(ref _requested);
        Wake();
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        while (Volatile.Read(ref _cleanThrough) < generation)
        {
            var ended = Volatile.Read(ref _passEnded).Task;
            if (Volatile.Read(ref _cleanThrough) >= generation)
            {
                break;
            }

            try
            {
                await ended.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            Log.Disabled(logger);
            return;
        }

        // The first scan must not run inside the host's start-up (BackgroundService runs up to the first await there).
        await Task.Yield();
        using var watcher = new ChangeWatcher(roots, _options.Debounce, time, Wake);
        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                watcher.Refresh();
                var clean = await RunPassAsync(stoppingToken);
                failures = clean ? 0 : failures + 1;
                await WaitAsync(clean ? _options.ScanInterval : Backoff(failures), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await FinalPassAsync();
    }

    // SIGTERM: keep trying until everything is acknowledged or the grace period is over.
    private async Task FinalPassAsync()
    {
        using var grace = new CancellationTokenSource(_options.ShutdownGrace, time);
        var failures = 0;
        try
        {
            while (!await RunPassAsync(grace.Token))
            {
                await Task.Delay(Backoff(++failures), time, grace.Token);
            }

            Log.FinalPassDone(logger);
        }
        catch (OperationCanceledException)
        {
            Log.GraceExpired(logger, string.Join(", ", board.Pending()));
        }
    }

    private async Task<bool> RunPassAsync(CancellationToken cancellationToken)
    {
        var generation = Volatile.Read(ref _requested);
        var clean = true;
        string? error = null;
        try
        {
            using (await gate.EnterAsync(cancellationToken))
            {
                var scan = scanner.Scan();
                foreach (var file in scan.Files)
                {
                    var result = await uploader.UploadAsync(_options.TaskId!, file, cancellationToken);
                    if (result == UploadResult.Done)
                    {
                        continue;
                    }

                    clean = false;
                    error ??= $"stream {file.Stream} not acknowledged";
                    if (result == UploadResult.BackendFailed)
                    {
                        // The other streams would meet the same backend; wait and retry them all.
                        break;
                    }
                }

                board.PassCompleted(scan.Skipped, error);
            }
        }
        finally
        {
            if (clean)
            {
                InterlockedMax(ref _cleanThrough, generation);
            }

            Interlocked.Exchange(ref _passEnded, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        return clean;
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sleeping = Task.Delay(delay, time, stop.Token);
        var woken = _wake.Reader.WaitToReadAsync(stop.Token).AsTask();
        await Task.WhenAny(sleeping, woken);
        await stop.CancelAsync();
        _wake.Reader.TryRead(out _);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private TimeSpan Backoff(int failures)
    {
        var exponent = Math.Min(failures - 1, 20);
        var delay = _options.RetryMinDelay * Math.Pow(2, exponent);
        var capped = delay > _options.RetryMaxDelay ? _options.RetryMaxDelay : delay;
        return capped * (0.8 + (Random.Shared.NextDouble() * 0.4));
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "BackupDisabled", Level = LogLevel.Warning,
            Message = "Backup disabled: WHIM_TASK_ID or WHIM_API_URL is not set")]
        public static partial void Disabled(ILogger logger);

        [LoggerMessage(EventId = 2, EventName = "FinalPassDone", Level = LogLevel.Information,
            Message = "Shutdown: every stream acknowledged")]
        public static partial void FinalPassDone(ILogger logger);

        [LoggerMessage(EventId = 3, EventName = "GraceExpired", Level = LogLevel.Warning,
            Message = "Shutdown grace period over with streams pending: {Pending} (checkpoints kept; the next start resumes them)")]
        public static partial void GraceExpired(ILogger logger, string pending);
    }
}
