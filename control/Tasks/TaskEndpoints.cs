namespace Whim.Control.Tasks;

/// <summary>Tasks and todos: create, list, read, edit, lifecycle commands, machine endpoints.</summary>
internal static class TaskEndpoints
{
    public static void MapTasks(this RouteGroupBuilder api)
    {
        var workspace = api.MapGroup("/workspaces/{workspaceId}/tasks").RequireScope(ApiScope.Workspace).WithTags("Tasks");
        workspace.MapPost(string.Empty, CreateAsync);
        workspace.MapGet(string.Empty, ListAsync);

        var task = api.MapGroup("/tasks/{taskId}").RequireScope(ApiScope.Workspace).WithTags("Tasks");
        task.MapGet(string.Empty, async (string taskId, TaskStore store, CancellationToken ct) =>
            await store.GetAsync(taskId, ct) is { } t ? Results.Ok(t.View) : Problems.NotFound("The task"));
        task.MapPatch(string.Empty, UpdateAsync);
        task.MapPost("/launch", LaunchAsync);
        task.MapPost("/sleep", (string taskId, TaskLifecycle lifecycle, TaskStore store, CancellationToken ct) => CommandAsync(taskId, lifecycle.SleepAsync, store, ct));
        task.MapPost("/wake", (string taskId, TaskLifecycle lifecycle, TaskStore store, CancellationToken ct) => CommandAsync(taskId, lifecycle.WakeAsync, store, ct));
        task.MapPost("/complete", (string taskId, TaskLifecycle lifecycle, TaskStore store, CancellationToken ct) => CommandAsync(taskId, lifecycle.CompleteAsync, store, ct));
        task.MapPost("/archive", (string taskId, TaskLifecycle lifecycle, TaskStore store, CancellationToken ct) => CommandAsync(taskId, lifecycle.ArchiveAsync, store, ct));

        api.MapPut("/tasks/{taskId}/machine", SetMachineAsync).RequireScope(ApiScope.Admin).WithTags("Tasks");
    }

    private static async Task<IResult> CreateAsync(string workspaceId, CreateTaskRequest request, HttpContext context, TaskStore store, TaskLifecycle lifecycle, CancellationToken ct)
    {
        var v = new Validation();
        TaskRules.Check(v, request);
        var caller = Caller.Of(context);
        if (!caller.IsAdmin && request.CreatedBy is not null)
        {
            v.Add("createdBy", "only the admin token may create tasks on behalf of a user");
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var creator = caller.IsAdmin ? request.CreatedBy : caller.UserId ?? await CreatorOfCallerTaskAsync(caller, store, ct);
        var (created, error) = await store.CreateAsync(workspaceId, request, creator, ct);
        switch (error)
        {
            case TaskStore.CreateError.NoWorkspace:
                return Problems.NotFound("The workspace");
            case TaskStore.CreateError.NoParent:
                return Problems.Field("parentId", "names no task of this workspace");
            case TaskStore.CreateError.AssigneeNotMember:
                return Problems.Field("assigneeId", "is not a member of the workspace");
            case TaskStore.CreateError.CreatorNotMember:
                return Problems.Field("createdBy", "is not a member of the workspace");
        }

        var task = created!;
        string? token = null;
        if (request.Launch == true)
        {
            (_, token) = await lifecycle.LaunchAsync(task.View.Id, ct);
            task = await store.GetAsync(task.View.Id, ct) ?? task;
        }

        return Results.Created($"/api/v1/tasks/{task.View.Id}", new TaskCreated(task.View, token));
    }

    private static async Task<string?> CreatorOfCallerTaskAsync(Caller caller, TaskStore store, CancellationToken ct) =>
        caller.TaskId is null ? null : (await store.GetAsync(caller.TaskId, ct))?.View.CreatedBy;

    private static async Task<IResult> ListAsync(string workspaceId, string? status, string? parentId, int? limit, TaskStore store, CancellationToken ct)
    {
        var v = new Validation();
        v.OneOf("status", status, TaskRules.StatusFilters);
        v.Optional("parentId", parentId, 64);
        v.Range("limit", limit, 1, 500);
        return v.IsValid ? Results.Ok(await store.ListAsync(workspaceId, status, parentId, limit ?? 100, ct)) : v.ToProblem();
    }

    private static async Task<IResult> UpdateAsync(string taskId, UpdateTaskRequest request, TaskStore store, CancellationToken ct)
    {
        var v = new Validation();
        TaskRules.Check(v, request);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var (task, frozen, notMember) = await store.UpdateAsync(taskId, request, ct);
        if (task is null)
        {
            return Problems.NotFound("The task");
        }

        if (notMember)
        {
            return Problems.Field("assigneeId", "is not a member of the workspace");
        }

        return frozen ? Problems.Conflict("Only a todo's body, branch, provider, model and mode can change; this task was launched.") : Results.Ok(task.View);
    }

    private static async Task<IResult> LaunchAsync(string taskId, TaskLifecycle lifecycle, TaskStore store, CancellationToken ct)
    {
        var (result, token) = await lifecycle.LaunchAsync(taskId, ct);
        return result switch
        {
            TransitionResult.Done => Results.Ok(new TaskCreated((await store.GetAsync(taskId, ct))!.View, token)),
            TransitionResult.NotFound => Problems.NotFound("The task"),
            TransitionResult.MachineFailed => Results.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "No machine could be started.",
                detail: "The task's machine could not be claimed or created; the task is a todo again and can be launched later."),
            _ => Problems.Conflict("Only a todo can be launched."),
        };
    }

    private static async Task<IResult> CommandAsync(string taskId, Func<string, CancellationToken, Task<TransitionResult>> command, TaskStore store, CancellationToken ct) =>
        await command(taskId, ct) switch
        {
            TransitionResult.Done => Results.Ok((await store.GetAsync(taskId, ct))!.View),
            TransitionResult.NotFound => Problems.NotFound("The task"),
            _ => Problems.Conflict("The task's status does not allow this."),
        };

    private static async Task<IResult> SetMachineAsync(string taskId, MachineEndpointsRequest request, TaskStore store, CancellationToken ct)
    {
        var v = new Validation();
        var endpoints = new Machines.MachineEndpoints(
            HttpUrl(v, "localProxyUrl", request.LocalProxyUrl), HttpUrl(v, "generationProxyUrl", request.GenerationProxyUrl), HttpUrl(v, "backupAgentUrl", request.BackupAgentUrl));
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        if (await store.GetAsync(taskId, ct) is null)
        {
            return Problems.NotFound("The task");
        }

        await store.SetMachineAsync(taskId, endpoints, ct);
        return Results.NoContent();
    }

    private static Uri? HttpUrl(Validation v, string field, string? value)
    {
        if (v.Optional(field, value, 2000) is null)
        {
            return null;
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        v.Add(field, "must be an absolute http(s) URL");
        return null;
    }
}
