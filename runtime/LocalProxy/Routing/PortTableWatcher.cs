using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Whim.LocalProxy.Routing;

/// <summary>
/// Keeps <see cref="Current"/> equal to the port table file without a restart: a <see cref="FileSystemWatcher"/> on
/// its folder (PortMonitor replaces the file by rename, so the folder is what to watch) wakes a re-read at once, and
/// a periodic re-read covers events a watcher can miss (overflow, the folder created late, network filesystems).
/// </summary>
internal sealed partial class PortTableWatcher : BackgroundService
{
    private readonly string _path;
    private readonly TimeSpan _refresh;
    private readonly TimeProvider _time;
    private readonly ILogger<PortTableWatcher> _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private RouteTable _current = RouteTable.NotLoaded;
    private (DateTime Modified, long Length) _lastSeen;

    public PortTableWatcher(PortTableLocation location, IOptions<LocalProxyOptions> options, TimeProvider time, ILogger<PortTableWatcher> logger)
    {
        _path = location.Path;
        _refresh = options.Value.RefreshInterval;
        _time = time;
        _logger = logger;
        Reload();
    }

    /// <summary>The latest routing snapshot.</summary>
    public RouteTable Current => Volatile.Read(ref _current);

    /// <summary>Re-reads the file if it changed since the last read.</summary>
    public void Reload()
    {
        FileInfo info;
        try
        {
            info = new FileInfo(_path);
            if (!info.Exists)
            {
                return;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        var stamp = (info.LastWriteTimeUtc, info.Length);
        if (stamp == _lastSeen && Current.Loaded)
        {
            return;
        }

        try
        {
            var bytes = File.ReadAllBytes(_path);
            var file = JsonSerializer.Deserialize(bytes, LocalProxyJson.Default.PortTableFile);
            var table = RouteTable.From(file?.Ports ?? []);
            Volatile.Write(ref _current, table);
            _lastSeen = stamp;
            Log.Loaded(_logger, table.Count, table.PrimaryPort);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            Log.Unreadable(_logger, _path, e.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var watcher = CreateWatcher();
        using var timer = new PeriodicTimer(_refresh, _time);
        var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        // One wait on each source at a time: a fresh wait per loop would leave the one outrun by the tick pending,
        // and the next file event would release that forgotten waiter, leaving the change to the next refresh.
        var wake = _wake.WaitAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var done = await Task.WhenAny(tick, wake);
                if (done == tick)
                {
                    if (!await tick)
                    {
                        return;
                    }

                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                }
                else
                {
                    await wake;
                    wake = _wake.WaitAsync(stoppingToken);
                }

                Reload();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private FileSystemWatcher? CreateWatcher()
    {
        var folder = Path.GetDirectoryName(_path)!;
        try
        {
            Directory.CreateDirectory(folder);
            var watcher = new FileSystemWatcher(folder, Path.GetFileName(_path))
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            watcher.Changed += (_, _) => Wake();
            watcher.Created += (_, _) => Wake();
            watcher.Renamed += (_, _) => Wake();
            watcher.Deleted += (_, _) => Wake();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            Log.NoWatcher(_logger, folder, e.Message);
            return null;
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is already pending: it will read the latest file.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, EventName = "PortTableLoaded", Level = LogLevel.Debug, Message = "Port table loaded: {Count} port(s), primary {Primary}")]
        public static partial void Loaded(ILogger logger, int count, int primary);

        [LoggerMessage(EventId = 11, EventName = "PortTableUnreadable", Level = LogLevel.Warning, Message = "Port table {Path} could not be read: {Reason}")]
        public static partial void Unreadable(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 12, EventName = "PortTableNotWatched", Level = LogLevel.Warning, Message = "Cannot watch {Folder} ({Reason}); falling back to periodic re-reads")]
        public static partial void NoWatcher(ILogger logger, string folder, string reason);
    }
}

/// <summary>Where the port table file is (<c>WHIM_PORT_TABLE</c>, default <c>/whim/run/ports.json</c> under the root).</summary>
internal sealed record PortTableLocation(string Path);
