using Whim.Control.Machines;
using Whim.Runtime.Logging;

namespace Whim.Control.Tasks;

/// <summary>The outcome of a lifecycle command.</summary>
internal enum TransitionResult
{
    Done,
    NotFound,
    WrongStatus,

    /// <summary>No machine could be started; the launch was undone (the task is a todo again, its token revoked).</summary>
    MachineFailed,
}

/// <summary>
/// Status transitions with their machine side effects: launch (todo → active, issues the internal token), sleep,
/// wake (sleeping/completed → active), complete, archive. The database transition is a conditional update, so a
/// machine is slept or woken once even when the idle poller and a request race.
/// </summary>
internal sealed partial class TaskLifecycle(Database database, TaskStore tasks, IMachineProvider machines, Whim.Control.Images.Reserves.BranchTracker branches, TimeProvider time, ILogger<TaskLifecycle> logger)
{
    private static readonly string[] FromTodo = [TaskRules.Todo];
    private static readonly string[] FromActive = [TaskRules.Active];
    private static readonly string[] FromSleepingOrCompleted = [TaskRules.Sleeping, TaskRules.Completed];
    private static readonly string[] FromRunning = [TaskRules.Active, TaskRules.Sleeping];
    private static readonly string[] FromAnyButArchived = [TaskRules.Todo, TaskRules.Active, TaskRules.Sleeping, TaskRules.Completed];

    /// <summary>Launches a todo: returns the internal token (shown once) when it moved to active.</summary>
    public async Task<(TransitionResult Result, string? Token)> LaunchAsync(string taskId, CancellationToken ct)
    {
        var launched = await database.WriteAsync<(TaskRecord?, string?)>(
            async s =>
            {
                var task = await TaskStore.GetAsync(s, taskId);
                if (task is null || !await TaskStore.TransitionAsync(s, taskId, FromTodo, TaskRules.Active, time.Millis()))
                {
                    return (task, null);
                }

                var (token, _) = await TokenStore.IssueAsync(s, time, TokenFormat.Task, "internal " + task.View.DisplayId, task.View.WorkspaceId, taskId, task.View.CreatedBy);
                return (task, token);
            },
            ct);
        if (launched.Item1 is not { } record)
        {
            return (TransitionResult.NotFound, null);
        }

        if (launched.Item2 is not { } token)
        {
            return (TransitionResult.WrongStatus, null);
        }

        var v = record.View;
        MachineLaunched launchedMachine;
        try
        {
            launchedMachine = await machines.LaunchAsync(new MachineLaunch(v.Id, v.WorkspaceId, v.DisplayId, v.Branch, v.SourceBranch, new Secret(token)), ct);
        }
        catch (Whim.Control.Images.Machines.MachineProviderException e)
        {
            // Undo the launch so it can be retried: back to todo, and the token handed to no machine is revoked.
            await database.WriteAsync(
                async s =>
                {
                    await s.ExecuteAsync(
                        "UPDATE tasks SET status = 'todo', launched_at = NULL, updated_at = @now WHERE id = @id AND status = 'active'", ("@now", time.Millis()), ("@id", taskId));
                    await s.ExecuteAsync("UPDATE tokens SET revoked_at = @at WHERE task_id = @id AND revoked_at IS NULL", ("@at", time.Millis()), ("@id", taskId));
                },
                CancellationToken.None);
            Log.LaunchFailed(logger, v.DisplayId, e.Message);
            return (TransitionResult.MachineFailed, null);
        }

        await RecordMachineAsync(taskId, launchedMachine, ct);

        // A task on a tracked branch keeps it tracked (branches idle for 14 days are untracked).
        await branches.RecordTaskActivityAsync(v.WorkspaceId, v.SourceBranch, ct);

        Log.Transitioned(logger, v.DisplayId, TaskRules.Active);
        return (TransitionResult.Done, token);
    }

    public Task<TransitionResult> SleepAsync(string taskId, CancellationToken ct) =>
        MoveAsync(taskId, FromActive, TaskRules.Sleeping, machines.SleepAsync, ct);

    /// <summary>
    /// Wakes a sleeping or completed task. When its machine is gone, the task starts fresh on the launch path: a new
    /// internal token (the old ones are revoked) and a machine claimed from the reserves or cold-created.
    /// </summary>
    public Task<TransitionResult> WakeAsync(string taskId, CancellationToken ct) =>
        MoveAsync(taskId, FromSleepingOrCompleted, TaskRules.Active, WakeOrStartFreshAsync, ct);

    private async Task WakeOrStartFreshAsync(string taskId, CancellationToken ct)
    {
        try
        {
            await machines.WakeAsync(taskId, ct);
            return;
        }
        catch (Whim.Control.Images.Machines.MachineProviderException e)
        {
            Log.WakeFailed(logger, taskId, e.Message);
        }

        var fresh = await database.WriteAsync<(TaskRecord?, string?)>(
            async s =>
            {
                var task = await TaskStore.GetAsync(s, taskId);
                if (task is null)
                {
                    return (null, null);
                }

                await s.ExecuteAsync("UPDATE tokens SET revoked_at = @at WHERE task_id = @id AND revoked_at IS NULL", ("@at", time.Millis()), ("@id", taskId));
                var (token, _) = await TokenStore.IssueAsync(s, time, TokenFormat.Task, "internal " + task.View.DisplayId, task.View.WorkspaceId, taskId, task.View.CreatedBy);
                return (task, token);
            },
            ct);
        if (fresh is (TaskRecord record, string token))
        {
            var v = record.View;
            var launched = await machines.LaunchAsync(new MachineLaunch(v.Id, v.WorkspaceId, v.DisplayId, v.Branch, v.SourceBranch, new Secret(token)), ct);
            await RecordMachineAsync(taskId, launched, ct);
        }
    }

    private async Task RecordMachineAsync(string taskId, MachineLaunched launched, CancellationToken ct)
    {
        await tasks.SetMachineAsync(taskId, launched.Endpoints, ct);
        if (launched.Machine is { } machine)
        {
            await tasks.SetTaskMachineAsync(taskId, machine, ct);
        }
    }

    public Task<TransitionResult> CompleteAsync(string taskId, CancellationToken ct) =>
        MoveAsync(taskId, FromRunning, TaskRules.Completed, machines.StopAsync, ct);

    /// <summary>Archives a task and revokes its internal tokens; the machine is removed if it had one (a completed task's is only suspended).</summary>
    public async Task<TransitionResult> ArchiveAsync(string taskId, CancellationToken ct)
    {
        var before = await tasks.GetAsync(taskId, ct);
        var result = await MoveAsync(
            taskId,
            FromAnyButArchived,
            TaskRules.Archived,
            (id, c) => before?.View.Status is TaskRules.Active or TaskRules.Sleeping or TaskRules.Completed ? machines.RemoveAsync(id, c) : Task.CompletedTask,
            ct,
            s => s.ExecuteAsync("UPDATE tokens SET revoked_at = @at WHERE task_id = @id AND revoked_at IS NULL", ("@at", time.Millis()), ("@id", taskId)));
        return result;
    }

    private async Task<TransitionResult> MoveAsync(
        string taskId, IReadOnlyList<string> from, string to, Func<string, CancellationToken, Task> machine, CancellationToken ct, Func<DbSession, Task>? alsoInTransaction = null)
    {
        var moved = await database.WriteAsync<TransitionResult>(
            async s =>
            {
                if (await TaskStore.TransitionAsync(s, taskId, from, to, time.Millis()))
                {
                    if (alsoInTransaction is not null)
                    {
                        await alsoInTransaction(s);
                    }

                    return TransitionResult.Done;
                }

                return await s.CountAsync("SELECT COUNT(*) FROM tasks WHERE id = @id", ("@id", taskId)) == 0 ? TransitionResult.NotFound : TransitionResult.WrongStatus;
            },
            ct);
        if (moved == TransitionResult.Done)
        {
            await machine(taskId, ct);
            Log.Transitioned(logger, taskId, to);
        }

        return moved;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 301, EventName = "TaskLaunchFailed", Level = LogLevel.Warning, Message = "Task {Task} got no machine ({Reason}); it is a todo again")]
        public static partial void LaunchFailed(ILogger logger, string task, string reason);

        [LoggerMessage(EventId = 302, EventName = "TaskWakeFailed", Level = LogLevel.Warning, Message = "Task {TaskId}'s machine could not be resumed ({Reason}); starting it fresh")]
        public static partial void WakeFailed(ILogger logger, string taskId, string reason);

        [LoggerMessage(EventId = 300, EventName = "TaskTransitioned", Level = LogLevel.Information, Message = "Task {Task} is now {Status}")]
        public static partial void Transitioned(ILogger logger, string task, string status);
    }
}
