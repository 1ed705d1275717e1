using System.Net;
using Microsoft.Extensions.Options;
using Whim.PortMonitor.Table;
using Whim.Runtime.ControlApi;

namespace Whim.PortMonitor.Registration;

/// <summary>
/// Keeps the control API's copy of this task's ports equal to the ready ports of the table. It starts with a full
/// replace (<c>PUT …/ports</c>), then sends only differences (<c>PUT …/ports/{port}</c>, <c>DELETE …/ports/{port}</c>).
/// Every call is idempotent; when one fails for good (the kernel client has already retried it) the registrar
/// waits with a doubling backoff and re-syncs the whole table, so whatever happened during an outage is repaired.
/// </summary>
internal sealed partial class PortRegistrar : BackgroundService
{
    private readonly PortTable _table;
    private readonly ControlApiClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger<PortRegistrar> _logger;
    private readonly PortMonitorOptions _options;
    private readonly string? _taskId;
    private readonly Dictionary<int, PortEntry> _registered = [];
    private bool _needsFullSync = true;

    public PortRegistrar(PortTable table, ControlApiClient client, TaskIdentity task, IOptions<PortMonitorOptions> options, TimeProvider time, ILogger<PortRegistrar> logger)
    {
        _table = table;
        _client = client;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _taskId = task.TaskId;
    }

    /// <summary>The base path of this task's ports, e.g. <c>api/v1/tasks/t-1/ports</c>.</summary>
    internal static string PortsPath(string taskId) => $"api/v1/tasks/{Uri.EscapeDataString(taskId)}/ports";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_client.IsConfigured || string.IsNullOrWhiteSpace(_taskId))
        {
            Log.Disabled(_logger);
            return;
        }

        var delay = _options.RegistrationRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            var snapshot = _table.Current;
            try
            {
                await SyncAsync(snapshot, stoppingToken);
                delay = _options.RegistrationRetry;
                await _table.WaitForChangeAsync(snapshot.Version, stoppingToken);
            }
            catch (ControlApiException e)
            {
                _needsFullSync = true;
                Log.SyncFailed(_logger, delay.TotalMilliseconds, e.Message);
                try
                {
                    await Task.Delay(delay, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RegistrationMaxDelay.Ticks));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task SyncAsync(PortTableSnapshot snapshot, CancellationToken cancellationToken)
    {
        var path = PortsPath(_taskId!);
        var desired = snapshot.ReadyPorts();
        if (_needsFullSync)
        {
            await _client.SendAsync(HttpMethod.Put, path, new PortsBody(desired), PortMonitorJson.Default.PortsBody, cancellationToken);
            _registered.Clear();
            foreach (var entry in desired)
            {
                _registered[entry.Port] = entry;
            }

            _needsFullSync = false;
            Log.FullSync(_logger, desired.Count, snapshot.Version);
            return;
        }

        var wanted = new HashSet<int>();
        foreach (var entry in desired)
        {
            wanted.Add(entry.Port);
        }

        foreach (var port in new List<int>(_registered.Keys))
        {
            if (!wanted.Contains(port))
            {
                await UnregisterAsync(path, port, cancellationToken);
                _registered.Remove(port);
            }
        }

        foreach (var entry in desired)
        {
            if (_registered.TryGetValue(entry.Port, out var known) && known == entry)
            {
                continue;
            }

            await _client.SendAsync(HttpMethod.Put, $"{path}/{entry.Port}", entry, PortMonitorJson.Default.PortEntry, cancellationToken);
            _registered[entry.Port] = entry;
            Log.Registered(_logger, entry.Port);
        }
    }

    private async Task UnregisterAsync(string path, int port, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.SendAsync(HttpMethod.Delete, $"{path}/{port}", static () => null, cancellationToken);
        }
        catch (ControlApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone: that is what we wanted.
        }

        Log.Unregistered(_logger, port);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, EventName = "PortRegistrationDisabled", Level = LogLevel.Information, Message = "Port registration is off: WHIM_API_URL or WHIM_TASK_ID is not set")]
        public static partial void Disabled(ILogger logger);

        [LoggerMessage(EventId = 21, EventName = "PortRegistrationFailed", Level = LogLevel.Warning, Message = "Port registration failed; full re-sync in {DelayMs} ms: {Reason}")]
        public static partial void SyncFailed(ILogger logger, double delayMs, string reason);

        [LoggerMessage(EventId = 22, EventName = "PortTableSynced", Level = LogLevel.Information, Message = "Registered the full port table ({Count} port(s), version {Version})")]
        public static partial void FullSync(ILogger logger, int count, long version);

        [LoggerMessage(EventId = 23, EventName = "PortRegistered", Level = LogLevel.Information, Message = "Registered port {Port}")]
        public static partial void Registered(ILogger logger, int port);

        [LoggerMessage(EventId = 24, EventName = "PortUnregistered", Level = LogLevel.Information, Message = "Unregistered port {Port}")]
        public static partial void Unregistered(ILogger logger, int port);
    }
}

/// <summary>The task this container runs (<c>WHIM_TASK_ID</c>).</summary>
internal sealed record TaskIdentity(string? TaskId);
