namespace Whim.Control.Tasks;

internal sealed record ForkRequest(string? Mode, string? Prompt);

/// <summary>A launched fork; the new task's internal token went to its machine and is not shown.</summary>
internal sealed record ForkCreated(TaskView Task, string ForkedFrom, string Mode);

/// <summary>
/// <c>POST /tasks/{taskId}/fork</c>: a new task on a branch started from the source's branch, the source untouched.
/// <c>session</c> (copy the agent session; the prompt is a follow-up) needs a running source; <c>summary</c> starts a
/// fresh session with the prompt. The fork records its source in its body's first line.
/// </summary>
internal static class ForkEndpoints
{
    public static readonly string[] Modes = ["session", "summary"];

    public static void MapForks(this RouteGroupBuilder api) =>
        api.MapPost("/tasks/{taskId}/fork", ForkAsync).RequireScope(ApiScope.Workspace).WithTags("Tasks");

    private static async Task<IResult> ForkAsync(string taskId, ForkRequest request, HttpContext context, TaskStore store, TaskLifecycle lifecycle, CancellationToken ct)
    {
        var v = new Validation();
        var mode = v.OneOf("mode", request.Mode, Modes) ?? "summary";
        v.Optional("prompt", request.Prompt, TaskRules.MaxBody);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        if (await store.GetAsync(taskId, ct) is not { } source)
        {
            return Problems.NotFound("The task");
        }

        var s = source.View;
        if (s.Status == TaskRules.Todo)
        {
            return Problems.Conflict("A todo has no branch yet; launch it or copy it instead of forking.");
        }

        if (mode == "session" && s.Status != TaskRules.Active)
        {
            return Problems.Conflict("Session mode copies the running agent's session; the source task is not running. Use mode summary or resume it first.");
        }

        var title = $"Fork of {s.DisplayId}: {s.Title}";
        var body = $"Forked from {s.DisplayId} ({mode}).\n\n{request.Prompt ?? s.Body}";
        var create = new CreateTaskRequest(
            title.Length > TaskRules.MaxTitle ? title[..TaskRules.MaxTitle] : title, body.Length > TaskRules.MaxBody ? body[..TaskRules.MaxBody] : body,
            null, s.Branch, s.Provider, s.Model, s.Mode, s.Priority, s.Effort, s.Tags, null, null, true);
        var caller = Caller.Of(context);
        var (created, error) = await store.CreateAsync(s.WorkspaceId, create, caller.UserId ?? s.CreatedBy, ct);
        if (created is null)
        {
            return error == TaskStore.CreateError.CreatorNotMember ? Problems.Conflict("The source task's creator is no longer a member of the workspace.") : Problems.NotFound("The workspace");
        }

        await lifecycle.LaunchAsync(created.View.Id, ct);
        var launched = await store.GetAsync(created.View.Id, ct) ?? created;
        return Results.Created($"/api/v1/tasks/{launched.View.Id}", new ForkCreated(launched.View, s.Id, mode));
    }
}
