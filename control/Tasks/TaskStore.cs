using System.Data.Common;
using System.Text.Json;
using Whim.Control.Machines;
using Whim.Control.Workspaces;

namespace Whim.Control.Tasks;

/// <summary>A task row together with its machine endpoints (which never leave the server in <see cref="TaskView"/>).</summary>
internal sealed record TaskRecord(TaskView View, MachineEndpoints Machine);

/// <summary>Task and todo rows: creation with the workspace's atomic display-id counter, edits, status transitions.</summary>
internal sealed class TaskStore(Database database, TimeProvider time)
{
    internal const string Columns =
        "id, workspace_id, display_id, number, title, body, status, parent_id, branch, source_branch, provider, model, mode, priority, effort, tags, " +
        "assignee_id, created_by, created_at, updated_at, launched_at, agent_state, last_heartbeat_at, idle_since, local_proxy_url, generation_proxy_url, backup_agent_url, machine_id, machine_source";

    public enum CreateError
    {
        None,
        NoWorkspace,
        NoParent,
        AssigneeNotMember,
        CreatorNotMember,
    }

    /// <summary>Creates a todo; the counter increment and the insert share one transaction.</summary>
    public Task<(TaskRecord? Task, CreateError Error)> CreateAsync(string workspaceId, CreateTaskRequest r, string? createdBy, CancellationToken ct) =>
        database.WriteAsync<(TaskRecord?, CreateError)>(
            async s =>
            {
                if (r.ParentId is not null && await s.CountAsync("SELECT COUNT(*) FROM tasks WHERE id = @id AND workspace_id = @ws", ("@id", r.ParentId), ("@ws", workspaceId)) == 0)
                {
                    return (null, CreateError.NoParent);
                }

                if (r.AssigneeId is not null && !await IsMemberAsync(s, workspaceId, r.AssigneeId))
                {
                    return (null, CreateError.AssigneeNotMember);
                }

                if (createdBy is not null && !await IsMemberAsync(s, workspaceId, createdBy))
                {
                    return (null, CreateError.CreatorNotMember);
                }

                var counter = await s.SingleAsync(
                    "UPDATE workspaces SET task_counter = task_counter + 1 WHERE id = @ws RETURNING prefix, task_counter",
                    static x => new { Prefix = x.Text(0), Number = x.Long(1) },
                    ("@ws", workspaceId));
                if (counter is null)
                {
                    return (null, CreateError.NoWorkspace);
                }

                var id = Ids.New();
                var displayId = DisplayIds.DisplayId(counter.Prefix, counter.Number);
                var now = time.Millis();
                await s.ExecuteAsync(
                    "INSERT INTO tasks (id, workspace_id, number, display_id, title, body, status, parent_id, branch, source_branch, provider, model, mode, priority, effort, tags, assignee_id, created_by, created_at, updated_at) " +
                    "VALUES (@id, @ws, @number, @display, @title, @body, 'todo', @parent, @branch, @source, @provider, @model, @mode, @priority, @effort, @tags, @assignee, @creator, @now, @now)",
                    ("@id", id), ("@ws", workspaceId), ("@number", counter.Number), ("@display", displayId), ("@title", r.Title), ("@body", r.Body ?? string.Empty),
                    ("@parent", r.ParentId), ("@branch", DisplayIds.Branch(displayId)), ("@source", r.SourceBranch ?? "main"), ("@provider", r.Provider ?? "claude"),
                    ("@model", r.Model), ("@mode", r.Mode ?? "simple"), ("@priority", r.Priority ?? "medium"), ("@effort", r.Effort),
                    ("@tags", JsonSerializer.Serialize(r.Tags ?? [], ControlJson.Default.IReadOnlyListString)), ("@assignee", r.AssigneeId), ("@creator", createdBy), ("@now", now));
                return (await GetAsync(s, id), CreateError.None);
            },
            ct);

    private static async Task<bool> IsMemberAsync(DbSession s, string workspaceId, string userId) =>
        await s.CountAsync("SELECT COUNT(*) FROM memberships WHERE workspace_id = @ws AND user_id = @user", ("@ws", workspaceId), ("@user", userId)) > 0;

    public Task<TaskRecord?> GetAsync(string id, CancellationToken ct) => database.ReadAsync(s => GetAsync(s, id), ct);

    public static Task<TaskRecord?> GetAsync(DbSession s, string id) =>
        s.SingleAsync($"SELECT {Columns} FROM tasks WHERE id = @id", Map, ("@id", id));

    public Task<TaskRecord?> GetByDisplayIdAsync(string displayId, CancellationToken ct) =>
        database.ReadAsync(s => s.SingleAsync($"SELECT {Columns} FROM tasks WHERE display_id = @d", Map, ("@d", displayId)), ct);

    /// <summary>Tasks of a workspace, newest first; <paramref name="status"/> <c>all</c> includes archived, null excludes it.</summary>
    public Task<List<TaskView>> ListAsync(string workspaceId, string? status, string? parentId, int limit, CancellationToken ct) =>
        database.ReadAsync(
            async s => (await s.QueryAsync(
                $"SELECT {Columns} FROM tasks WHERE workspace_id = @ws " +
                "AND (CAST(@status AS TEXT) IS NULL OR status = @status OR @status = 'all') AND (CAST(@status AS TEXT) IS NOT NULL OR status <> 'archived') " +
                "AND (CAST(@parent AS TEXT) IS NULL OR parent_id = @parent) ORDER BY created_at DESC, number DESC LIMIT @limit",
                Map, ("@ws", workspaceId), ("@status", status), ("@parent", parentId), ("@limit", (long)limit))).ConvertAll(static t => t.View),
            ct);

    /// <summary>Applies a todo edit; false when the task is not a todo any more (fields other than title/tags are frozen at launch).</summary>
    public Task<(TaskRecord? Task, bool Frozen, bool AssigneeNotMember)> UpdateAsync(string id, UpdateTaskRequest r, CancellationToken ct) =>
        database.WriteAsync<(TaskRecord?, bool, bool)>(
            async s =>
            {
                var current = await GetAsync(s, id);
                if (current is null)
                {
                    return (null, false, false);
                }

                var launchFields = r.Body is not null || r.SourceBranch is not null || r.Provider is not null || r.Model is not null || r.Mode is not null;
                if (launchFields && current.View.Status != TaskRules.Todo)
                {
                    return (current, true, false);
                }

                if (r.AssigneeId is not null && !await IsMemberAsync(s, current.View.WorkspaceId, r.AssigneeId))
                {
                    return (current, false, true);
                }

                await s.ExecuteAsync(
                    "UPDATE tasks SET title = COALESCE(@title, title), body = COALESCE(@body, body), source_branch = COALESCE(@source, source_branch), " +
                    "provider = COALESCE(@provider, provider), model = COALESCE(@model, model), mode = COALESCE(@mode, mode), priority = COALESCE(@priority, priority), " +
                    "effort = COALESCE(@effort, effort), tags = COALESCE(@tags, tags), assignee_id = COALESCE(@assignee, assignee_id), updated_at = @now WHERE id = @id",
                    ("@title", r.Title), ("@body", r.Body), ("@source", r.SourceBranch), ("@provider", r.Provider), ("@model", r.Model), ("@mode", r.Mode),
                    ("@priority", r.Priority), ("@effort", r.Effort), ("@tags", r.Tags is null ? null : JsonSerializer.Serialize(r.Tags, ControlJson.Default.IReadOnlyListString)),
                    ("@assignee", r.AssigneeId), ("@now", time.Millis()), ("@id", id));
                return (await GetAsync(s, id), false, false);
            },
            ct);

    /// <summary>
    /// Moves a task from one of <paramref name="from"/> to <paramref name="to"/> in one conditional statement, so of
    /// two racing transitions exactly one wins. Returns false when the task was not in an allowed status.
    /// </summary>
    public static async Task<bool> TransitionAsync(DbSession s, string id, IReadOnlyList<string> from, string to, long now)
    {
        var allowed = string.Join(", ", from.Select(static (_, i) => "@from" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var parameters = new List<(string, object?)> { ("@id", id), ("@to", to), ("@now", now) };
        parameters.AddRange(from.Select(static (f, i) => ("@from" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), (object?)f)));
        return await s.ExecuteAsync(
            $"UPDATE tasks SET status = @to, updated_at = @now, idle_since = NULL, launched_at = CASE WHEN @to = 'active' THEN COALESCE(launched_at, @now) ELSE launched_at END WHERE id = @id AND status IN ({allowed})",
            [.. parameters]) == 1;
    }

    public Task SetMachineAsync(string id, MachineEndpoints machine, CancellationToken ct) =>
        database.WriteAsync(s => SetMachineAsync(s, id, machine), ct);

    public static Task SetMachineAsync(DbSession s, string id, MachineEndpoints machine) =>
        s.ExecuteAsync(
            "UPDATE tasks SET local_proxy_url = @lp, generation_proxy_url = @gp, backup_agent_url = @ba WHERE id = @id",
            ("@lp", machine.LocalProxy?.ToString()), ("@gp", machine.GenerationProxy?.ToString()), ("@ba", machine.BackupAgent?.ToString()), ("@id", id));

    /// <summary>Records which machine runs the task and whether it was a claimed reserve or a cold create.</summary>
    public Task SetTaskMachineAsync(string id, TaskMachine machine, CancellationToken ct) =>
        database.WriteAsync(
            s => s.ExecuteAsync("UPDATE tasks SET machine_id = @m, machine_source = @src WHERE id = @id", ("@m", machine.Id), ("@src", machine.Source), ("@id", id)),
            ct);

    internal static TaskRecord Map(DbDataReader r)
    {
        var view = new TaskView(
            r.Text(0), r.Text(1), r.Text(2), r.Long(3), r.Text(4), r.Text(5), r.Text(6), r.NullableText(7), r.Text(8), r.Text(9), r.Text(10), r.NullableText(11),
            r.Text(12), r.Text(13), r.NullableText(14), JsonSerializer.Deserialize(r.Text(15), ControlJson.Default.IReadOnlyListString) ?? [],
            r.NullableText(16), r.NullableText(17), r.Time(18), r.Time(19), r.NullableTime(20), r.NullableText(21), r.NullableTime(22), r.NullableTime(23),
            r.NullableText(27) is { } machineId ? new TaskMachine(machineId, r.Text(28)) : null);
        return new TaskRecord(view, new MachineEndpoints(UriOrNull(r.NullableText(24)), UriOrNull(r.NullableText(25)), UriOrNull(r.NullableText(26))));
    }

    private static Uri? UriOrNull(string? value) => value is null ? null : new Uri(value);
}
