using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Whim.PortMonitor.Readiness;
using Whim.PortMonitor.Table;
using Whim.Runtime.Files;

namespace Whim.PortMonitor.Scanning;

/// <summary>
/// The scan loop: every interval it scans, publishes the table when it changed (atomically to the port table file
/// and to <see cref="PortTable"/>), and starts a readiness probe for each new port. A probe that succeeds marks its
/// port ready and publishes at once, without waiting for the next tick.
/// </summary>
internal sealed partial class PortMonitorService : BackgroundService
{
    private static readonly Meter s_meter = new("Whim.PortMonitor");
    private static readonly Histogram<double> s_scanDuration = s_meter.CreateHistogram<double>("whim_portmonitor_scan_seconds", "s", "Duration of one scan");
    private static readonly Counter<long> s_processesRead = s_meter.CreateCounter<long>("whim_portmonitor_owner_processes_read_total", description: "Processes whose fd tables were read to find socket owners");

    private readonly PortScanner _scanner;
    private readonly PortTable _table;
    private readonly ReadinessProbe _probe;
    private readonly bool _probeByHttp;
    private readonly TimeProvider _time;
    private readonly ILogger<PortMonitorService> _logger;
    private readonly string _tablePath;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private readonly HashSet<ulong> _probing = [];
    private readonly List<PortEntry> _unready = [];
    private CancellationToken _stopping;

    public PortMonitorService(PortScanner scanner, PortTable table, ReadinessProbe probe, PortTablePath tablePath, IOptions<PortMonitorOptions> options, TimeProvider time, ILogger<PortMonitorService> logger)
    {
        _scanner = scanner;
        _table = table;
        _probe = probe;
        _time = time;
        _logger = logger;
        _tablePath = tablePath.Value;
        _interval = options.Value.Interval;
        _probeByHttp = string.Equals(options.Value.Probe, "http", StringComparison.Ordinal);
    }

    /// <summary>Scans once, publishes on change and starts probes (also what the loop calls every tick).</summary>
    public void ScanOnce()
    {
        var started = _time.GetTimestamp();
        lock (_gate)
        {
            var changed = _scanner.Scan(_time.GetUtcNow());
            _unready.Clear();
            _scanner.CollectUnready(_unready);
            foreach (var entry in _unready)
            {
                if (!_probeByHttp)
                {
                    // Listening is ready: the kernel queues connections from listen() on. Connecting to find out is
                    // not harmless: single-client servers take the probe for their client (vstest's test-host channel
                    // read a probe's GET as a message and aborted the run).
                    changed |= _scanner.MarkReady(entry.Port, entry.Inode);
                    Log.PortReady(_logger, entry.Port, entry.Process, entry.Command, entry.Pid);
                }
                else if (_probing.Add(entry.Inode))
                {
                    _ = ProbeAsync(entry);
                }
            }

            // One publish a scan: a new listener is written once, already ready when listening is enough (each
            // publish is a write with two fsyncs, tens of milliseconds on a busy disk, before the proxy sees it).
            if (changed)
            {
                Publish();
            }
        }

        s_scanDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
        if (_scanner.ProcessesRead > 0)
        {
            s_processesRead.Add(_scanner.ProcessesRead);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        Log.Started(_logger, _tablePath, _interval.TotalMilliseconds);
        if (_time != TimeProvider.System)
        {
            return RunOnTimerAsync(stoppingToken);
        }

        // On the real clock the loop owns a thread that sleeps in one timed wait between scans. A PeriodicTimer
        // tick costs the timer thread's wake-up, a hop to a thread-pool worker and that worker spinning before it
        // parks again: at a 50 ms interval that was most of the monitor's CPU (bench/ports: ~17 futex calls and a
        // third of a millisecond of CPU a tick, against one wake-up here).
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                RunOnThread(stoppingToken);
                stopped.TrySetResult();
            }
            catch (Exception e)
            {
                stopped.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "port-scan",
        };
        thread.Start();
        return stopped.Task;
    }

    private void RunOnThread(CancellationToken stoppingToken)
    {
        var wake = stoppingToken.WaitHandle;
        var next = _time.GetTimestamp();
        do
        {
            ScanGuarded();
            next = ScanSchedule.Next(next, _time.GetTimestamp(), _interval, _time.TimestampFrequency, out var wait);
            if (wake.WaitOne(wait))
            {
                return;
            }
        }
        while (!stoppingToken.IsCancellationRequested);
    }

    private async Task RunOnTimerAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            do
            {
                ScanGuarded();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void ScanGuarded()
    {
        try
        {
            ScanOnce();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.ScanFailed(_logger, e);
        }
    }

    private async Task ProbeAsync(PortEntry entry)
    {
        var ready = false;
        try
        {
            ready = await _probe.ProbeAsync(entry, _stopping);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            Log.ProbeFailed(_logger, entry.Port, e.Message);
        }

        lock (_gate)
        {
            _probing.Remove(entry.Inode);
            if (ready && _scanner.MarkReady(entry.Port, entry.Inode))
            {
                Log.PortReady(_logger, entry.Port, entry.Process, entry.Command, entry.Pid);
                Publish();
            }
        }
    }

    // Called under _gate so the file and the in-memory table change in the same order.
    private void Publish()
    {
        // The file first: whoever sees the new table over HTTP can then rely on the proxy having it too.
        var entries = _scanner.Entries();
        var now = _time.GetUtcNow();
        try
        {
            // Atomic for LocalProxy's reads, not fsynced: the table is rebuilt from the kernel whenever this process
            // starts, and an fsync is milliseconds (tens on a busy disk) between listen() and the preview answering.
            AtomicFile.WriteJson(_tablePath, new PortTableDocument(now, entries), PortMonitorJson.Default.PortTableDocument, durable: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.PublishFailed(_logger, _tablePath, e);
        }

        var snapshot = _table.Replace(entries, now);

        Log.TableChanged(_logger, snapshot.Version, snapshot.Ports.Count);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "PortMonitorStarted", Level = LogLevel.Information, Message = "Port monitor publishing {Path} every {IntervalMs} ms")]
        public static partial void Started(ILogger logger, string path, double intervalMs);

        [LoggerMessage(EventId = 2, EventName = "PortScanFailed", Level = LogLevel.Warning, Message = "Port scan failed")]
        public static partial void ScanFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3, EventName = "PortReady", Level = LogLevel.Information, Message = "Port {Port} is ready ({Process}: {Command}, pid {Pid})")]
        public static partial void PortReady(ILogger logger, int port, string process, string command, int pid);

        [LoggerMessage(EventId = 4, EventName = "PortTableChanged", Level = LogLevel.Debug, Message = "Port table version {Version}: {Count} port(s)")]
        public static partial void TableChanged(ILogger logger, long version, int count);

        [LoggerMessage(EventId = 5, EventName = "PortTablePublishFailed", Level = LogLevel.Error, Message = "Could not write the port table {Path}")]
        public static partial void PublishFailed(ILogger logger, string path, Exception exception);

        [LoggerMessage(EventId = 6, EventName = "PortProbeFailed", Level = LogLevel.Debug, Message = "Readiness probe of port {Port} failed: {Reason}")]
        public static partial void ProbeFailed(ILogger logger, int port, string reason);
    }
}

/// <summary>When the scan thread wakes next: on a fixed grid of intervals, skipping ticks a slow scan overran.</summary>
internal static class ScanSchedule
{
    /// <summary>
    /// The next due timestamp after <paramref name="due"/> that is not in the past at <paramref name="now"/>, and
    /// how long to wait for it (never negative).
    /// </summary>
    public static long Next(long due, long now, TimeSpan interval, long frequency, out TimeSpan wait)
    {
        var step = Math.Max(1, (long)(interval.TotalSeconds * frequency));
        var next = due + step;
        if (next < now)
        {
            next += (now - next + step - 1) / step * step;
        }

        wait = TimeSpan.FromSeconds((double)(next - now) / frequency);
        return next;
    }
}

/// <summary>Where the port table file lives (<c>WHIM_PORT_TABLE</c>, default <c>/whim/run/ports.json</c> under the root).</summary>
internal sealed record PortTablePath(string Value);
