using Microsoft.Extensions.Options;
using Whim.Control.Tasks;

namespace Whim.Control.Heartbeats;

/// <summary>
/// Polls every active task's generation proxy (<c>/whim/state</c>) and backup agent (<c>/status</c>) on a
/// <see cref="PeriodicTimer"/> of the injected <see cref="TimeProvider"/>, records a heartbeat, tracks idleness and
/// puts tasks idle past their workspace's timeout to sleep through <see cref="TaskLifecycle"/>.
/// </summary>
internal sealed partial class HeartbeatPoller(
    Database database, TaskLifecycle lifecycle, IHttpClientFactory clients, IOptions<HeartbeatOptions> options, TimeProvider time, ILogger<HeartbeatPoller> logger)
    : BackgroundService
{
    public const string ClientName = "heartbeats";

    private long _rounds;

    /// <summary>Completed polling rounds (tests wait on it instead of sleeping).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await PollOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.RoundFailed(logger, e);
                }

                Interlocked.Increment(ref _rounds);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task PollOnceAsync(CancellationToken ct)
    {
        var running = await database.ReadAsync(
            s => s.QueryAsync(
                "SELECT t.id, t.display_id, t.generation_proxy_url, t.backup_agent_url, t.idle_since, w.idle_timeout_seconds FROM tasks t JOIN workspaces w ON w.id = t.workspace_id " +
                "WHERE t.status = 'active' AND t.generation_proxy_url IS NOT NULL",
                static r => (Id: r.Text(0), Display: r.Text(1), State: new Uri(r.Text(2)), Backup: r.NullableText(3), IdleSince: r.NullableTime(4), Timeout: TimeSpan.FromSeconds(r.Long(5)))),
            ct);
        await Parallel.ForEachAsync(
            running,
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.Parallelism, CancellationToken = ct },
            async (task, token) =>
            {
                var report = await ProbeStateAsync(new Uri(task.State, "/whim/state"), token);
                var backupOk = task.Backup is not null && await ProbeAsync(new Uri(new Uri(task.Backup), "/status"), token);
                var state = report?.State is "working" or "idle" ? report.State : "unreachable";
                var now = time.GetUtcNow();
                var (idleSince, sleep) = IdlePolicy.Decide(state, task.IdleSince, now, task.Timeout);
                await database.WriteAsync(
                    async s =>
                    {
                        await s.ExecuteAsync(
                            "INSERT INTO heartbeats (task_id, at, agent_state, active_requests, backup_ok) VALUES (@task, @at, @state, @active, @backup)",
                            ("@task", task.Id), ("@at", now.ToUnixTimeMilliseconds()), ("@state", state), ("@active", (long)(report?.ActiveRequests ?? 0)), ("@backup", backupOk ? 1L : 0L));
                        await s.ExecuteAsync(
                            "UPDATE tasks SET agent_state = @state, last_heartbeat_at = @at, idle_since = @idle WHERE id = @task AND status = 'active'",
                            ("@state", state), ("@at", now.ToUnixTimeMilliseconds()), ("@idle", idleSince?.ToUnixTimeMilliseconds()), ("@task", task.Id));
                    },
                    token);
                if (sleep && await lifecycle.SleepAsync(task.Id, token) == TransitionResult.Done)
                {
                    Log.SleptIdle(logger, task.Display, (long)(now - idleSince!.Value).TotalSeconds);
                }
            });
    }

    private async Task<AgentStateReport?> ProbeStateAsync(Uri uri, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.RequestTimeout);
        try
        {
            return await clients.CreateClient(ClientName).GetFromJsonAsync(uri, ControlJson.Default.AgentStateReport, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            Log.Unreachable(logger, uri.GetLeftPart(UriPartial.Authority), e.GetType().Name);
            return null;
        }
    }

    private async Task<bool> ProbeAsync(Uri uri, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.RequestTimeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).GetAsync(uri, timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 500, EventName = "HeartbeatRoundFailed", Level = LogLevel.Error, Message = "A heartbeat round failed")]
        public static partial void RoundFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 501, EventName = "AgentStateUnreachable", Level = LogLevel.Debug, Message = "Agent state at {Authority} unreachable: {Error}")]
        public static partial void Unreachable(ILogger logger, string authority, string error);

        [LoggerMessage(EventId = 502, EventName = "TaskSleptIdle", Level = LogLevel.Information, Message = "Task {Task} idle for {Seconds} s: put to sleep")]
        public static partial void SleptIdle(ILogger logger, string task, long seconds);
    }
}

/// <summary>Recent heartbeats of a task.</summary>
internal static class HeartbeatEndpoints
{
    public static void MapHeartbeats(this RouteGroupBuilder api) =>
        api.MapGet("/tasks/{taskId}/heartbeats", (string taskId, Database db, CancellationToken ct) => db.ReadAsync(
            s => s.QueryAsync(
                "SELECT task_id, at, agent_state, active_requests, backup_ok FROM heartbeats WHERE task_id = @task ORDER BY at DESC LIMIT 50",
                static r => new Heartbeat(r.Text(0), r.Time(1), r.Text(2), (int)r.Long(3), r.Long(4) != 0), ("@task", taskId)),
            ct)).RequireScope(ApiScope.Workspace).WithTags("Heartbeats");
}
