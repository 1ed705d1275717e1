namespace Whim.Control.Tasks;

internal sealed record Prompt(string Id, string TaskId, string Body, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt);

internal sealed record SendPromptRequest(string? Body);

/// <summary>
/// The per-task prompt queue behind <c>send_prompt</c>. Queuing a prompt for a sleeping task wakes it; the runtime
/// inside the task either claims pending prompts (a claim marks them delivered in the same statement), or lists the
/// pending ones (<c>?pending=true</c>) and acknowledges each with <c>POST .../{promptId}/delivered</c> once it reached the
/// agent (bootstrap does this, so a prompt lost between claim and agent is not marked delivered).
/// </summary>
internal static class PromptEndpoints
{
    public static void MapPrompts(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tasks/{taskId}/prompts").WithTags("Prompts");
        group.MapPost(string.Empty, SendAsync).RequireScope(ApiScope.Workspace);
        group.MapGet(string.Empty, (string taskId, bool? pending, Database database, CancellationToken ct) => database.ReadAsync(
            s => s.QueryAsync(
                $"SELECT {Columns} FROM prompts WHERE task_id = @task{(pending == true ? " AND delivered_at IS NULL" : "")} ORDER BY created_at, id",
                Map,
                ("@task", taskId)),
            ct))
            .RequireScope(ApiScope.Workspace);
        group.MapPost("/claim", ClaimAsync).RequireScope(ApiScope.TaskRuntime);
        group.MapPost("/{promptId}/delivered", AcknowledgeAsync).RequireScope(ApiScope.TaskRuntime);
    }

    private const string Columns = "id, task_id, body, created_at, delivered_at";

    private static Prompt Map(System.Data.Common.DbDataReader r) => new(r.Text(0), r.Text(1), r.Text(2), r.Time(3), r.NullableTime(4));

    private static async Task<IResult> SendAsync(string taskId, SendPromptRequest request, Database database, TaskLifecycle lifecycle, TimeProvider time, CancellationToken ct)
    {
        var v = new Validation();
        var body = v.Required("body", request.Body, TaskRules.MaxBody);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var prompt = new Prompt(Ids.New(), taskId, body, time.GetUtcNow(), null);
        var status = await database.WriteAsync(
            async s =>
            {
                var current = (string?)await s.ScalarAsync("SELECT status FROM tasks WHERE id = @id", ("@id", taskId));
                if (current is null or TaskRules.Archived)
                {
                    return current;
                }

                await s.ExecuteAsync(
                    "INSERT INTO prompts (id, task_id, body, created_at) VALUES (@id, @task, @body, @at)",
                    ("@id", prompt.Id), ("@task", taskId), ("@body", body), ("@at", prompt.CreatedAt.ToUnixTimeMilliseconds()));
                return current;
            },
            ct);
        switch (status)
        {
            case null:
                return Problems.NotFound("The task");
            case TaskRules.Archived:
                return Problems.Conflict("The task is archived.");
            case TaskRules.Sleeping or TaskRules.Completed:
                await lifecycle.WakeAsync(taskId, ct);
                break;
        }

        return Results.Created($"/api/v1/tasks/{taskId}/prompts/{prompt.Id}", prompt);
    }

    private static async Task<IResult> ClaimAsync(string taskId, Database database, TimeProvider time, CancellationToken ct)
    {
        var claimed = await database.WriteAsync(
            s => s.QueryAsync(
                $"UPDATE prompts SET delivered_at = @at WHERE task_id = @task AND delivered_at IS NULL RETURNING {Columns}",
                Map, ("@at", time.Millis()), ("@task", taskId)),
            ct);
        claimed.Sort(static (a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : string.CompareOrdinal(a.Id, b.Id));
        return Results.Ok(claimed);
    }

    // Idempotent: a second acknowledgement keeps the first delivery time.
    private static async Task<IResult> AcknowledgeAsync(string taskId, string promptId, Database database, TimeProvider time, CancellationToken ct)
    {
        var prompt = await database.WriteAsync(
            async s =>
            {
                await s.ExecuteAsync(
                    "UPDATE prompts SET delivered_at = @at WHERE id = @id AND task_id = @task AND delivered_at IS NULL",
                    ("@at", time.Millis()), ("@id", promptId), ("@task", taskId));
                var rows = await s.QueryAsync($"SELECT {Columns} FROM prompts WHERE id = @id AND task_id = @task", Map, ("@id", promptId), ("@task", taskId));
                return rows.Count == 0 ? null : rows[0];
            },
            ct);
        return prompt is null ? Problems.NotFound("The prompt") : Results.Ok(prompt);
    }
}
