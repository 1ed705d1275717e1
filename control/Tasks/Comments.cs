namespace Whim.Control.Tasks;

internal sealed record Comment(string Id, string TaskId, string? ParentId, string Author, string Body, DateTimeOffset CreatedAt);

internal sealed record CreateCommentRequest(string? Body, string? ParentId);

/// <summary>Threaded comments on a task: a comment may answer another comment of the same task.</summary>
internal static class CommentEndpoints
{
    public static void MapComments(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tasks/{taskId}/comments").RequireScope(ApiScope.Workspace).WithTags("Comments");
        group.MapPost(string.Empty, CreateAsync);
        group.MapGet(string.Empty, (string taskId, Database database, CancellationToken ct) => database.ReadAsync(
            s => s.QueryAsync(
                "SELECT id, task_id, parent_id, author, body, created_at FROM comments WHERE task_id = @task ORDER BY created_at, id",
                static r => new Comment(r.Text(0), r.Text(1), r.NullableText(2), r.Text(3), r.Text(4), r.Time(5)),
                ("@task", taskId)),
            ct));
    }

    private static async Task<IResult> CreateAsync(string taskId, CreateCommentRequest request, HttpContext context, Database database, TimeProvider time, CancellationToken ct)
    {
        var v = new Validation();
        var body = v.Required("body", request.Body, 20_000);
        v.Optional("parentId", request.ParentId, 64);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var caller = Caller.Of(context);
        var author = caller.UserId ?? (caller.TaskId is not null ? "task:" + caller.TaskId : "admin");
        var comment = new Comment(Ids.New(), taskId, request.ParentId, author, body, time.GetUtcNow());
        var stored = await database.WriteAsync(
            async s =>
            {
                if (request.ParentId is not null &&
                    await s.CountAsync("SELECT COUNT(*) FROM comments WHERE id = @id AND task_id = @task", ("@id", request.ParentId), ("@task", taskId)) == 0)
                {
                    return false;
                }

                await s.ExecuteAsync(
                    "INSERT INTO comments (id, task_id, parent_id, author, body, created_at) VALUES (@id, @task, @parent, @author, @body, @at)",
                    ("@id", comment.Id), ("@task", taskId), ("@parent", comment.ParentId), ("@author", author), ("@body", body), ("@at", comment.CreatedAt.ToUnixTimeMilliseconds()));
                return true;
            },
            ct);
        return stored ? Results.Created($"/api/v1/tasks/{taskId}/comments/{comment.Id}", comment) : Problems.Field("parentId", "names no comment of this task");
    }
}
