using System.ComponentModel;
using System.Text;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using static Whim.WhimMcp.Tools.ToolKit;

namespace Whim.WhimMcp.Tools;

/// <summary>Creation: tasks, batches, todos (backlog items), edits and launches.</summary>
[McpServerToolType]
internal sealed class CreationTools(IWhimBackend backend)
{
    private const int MaxBatch = 10;

    [McpServerTool(Name = "create_task"), Description("Creates a task and launches its agent with the prompt. relationship child nests it under the calling task (put your display id in the prompt so the child can report back with send_prompt).")]
    public Task<CallToolResult> CreateTaskAsync(
        [Description("The first prompt of the new task's agent.")] string prompt,
        [Description("Short title; defaults to the prompt's first line.")] string? title = null,
        [Description("top_level (default) or child (only from inside a task).")] string? relationship = null,
        [Description("claude or codex; defaults to the workspace setting.")] string? provider = null,
        [Description("Model id for the provider; defaults to the workspace setting.")] string? model = null,
        [Description("Remote branch to start from; defaults to the repository's default branch.")] string? base_branch = null,
        [Description("simple (default) or orchestrator.")] string? mode = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var body = Required("prompt", prompt);
        var request = new JsonObject
        {
            ["title"] = title ?? TitleOf(body),
            ["body"] = body,
            ["parentId"] = await ParentAsync(relationship, cancellationToken),
            ["provider"] = provider,
            ["model"] = model,
            ["sourceBranch"] = base_branch,
            ["mode"] = mode,
            ["launch"] = true,
        };
        var task = await CreateAsync(request, cancellationToken);
        return Ok($"Created and launched {Line(task)}", new JsonObject { ["task"] = task.DeepClone() });
    });

    [McpServerTool(Name = "create_batch"), Description("Creates several tasks (launched) or todos (backlog) at once, at most 10 items.")]
    public Task<CallToolResult> CreateBatchAsync(
        [Description("task (launch each) or todo (backlog items, no container).")] string kind,
        [Description("The items: title (required), body, tags, priority, effort.")] BatchItem[] items,
        [Description("top_level (default) or child (nest under the calling task).")] string? relationship = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var launch = (OneOf("kind", Required("kind", kind), "task", "todo")) == "task";
        if (items is null || items.Length is 0 or > MaxBatch)
        {
            return Error($"Invalid input: items must hold 1 to {MaxBatch} entries.");
        }

        var parent = await ParentAsync(relationship, cancellationToken);
        var created = new JsonArray();
        var text = new StringBuilder();
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i];
            var request = new JsonObject
            {
                ["title"] = item.Title,
                ["body"] = item.Body,
                ["tags"] = item.Tags is null ? null : new JsonArray([.. item.Tags.Select(static t => (JsonNode?)t)]),
                ["priority"] = item.Priority,
                ["effort"] = item.Effort,
                ["parentId"] = parent,
                ["launch"] = launch,
            };
            try
            {
                var task = await CreateAsync(request, cancellationToken);
                created.Add(task.DeepClone());
                text.AppendLine($"Created {Line(task)}");
            }
            catch (WhimBackendException e)
            {
                var partial = Ok($"{text}Item {i} ('{item.Title}') failed and the rest were not created: {e.Message}", new JsonObject { ["created"] = created });
                partial.IsError = true;
                return partial;
            }
        }

        return Ok(text.ToString().TrimEnd(), new JsonObject { ["created"] = created });
    });

    [McpServerTool(Name = "create_todo"), Description("Creates one backlog item (a todo): no container and no compute until launched with launch_todos.")]
    public Task<CallToolResult> CreateTodoAsync(
        [Description("Title of the todo.")] string title,
        [Description("Markdown body; becomes the agent's prompt on launch.")] string? body = null,
        [Description("urgent, high, medium (default) or low.")] string? priority = null,
        [Description("small, medium or large.")] string? effort = null,
        [Description("Free-form tags.")] string[]? tags = null,
        [Description("A workspace member's id (see list_workspace_users).")] string? assignee_id = null,
        [Description("claude or codex.")] string? provider = null,
        [Description("Model id for the provider.")] string? model = null,
        [Description("Remote branch to start from.")] string? base_branch = null,
        [Description("simple or orchestrator.")] string? mode = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var request = TodoFields(body, priority, effort, tags, assignee_id, provider, model, base_branch, mode);
        request["title"] = Required("title", title);
        request["launch"] = false;
        var task = await CreateAsync(request, cancellationToken);
        return Ok($"Created todo {Line(task)}", new JsonObject { ["task"] = task.DeepClone() });
    });

    [McpServerTool(Name = "update_todo"), Description("Edits a todo before launch; only the fields given change.")]
    public Task<CallToolResult> UpdateTodoAsync(
        [Description("The todo's UUID or display id.")] string todo_id,
        [Description("New title.")] string? title = null,
        [Description("New Markdown body.")] string? body = null,
        [Description("urgent, high, medium or low.")] string? priority = null,
        [Description("small, medium or large.")] string? effort = null,
        [Description("Replaces the tags.")] string[]? tags = null,
        [Description("A workspace member's id.")] string? assignee_id = null,
        [Description("claude or codex.")] string? provider = null,
        [Description("Model id.")] string? model = null,
        [Description("Remote branch to start from.")] string? base_branch = null,
        [Description("simple or orchestrator.")] string? mode = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var id = await ResolveTaskIdAsync(backend, "todo_id", todo_id, cancellationToken);
        var request = TodoFields(body, priority, effort, tags, assignee_id, provider, model, base_branch, mode);
        request["title"] = title;
        var task = await backend.SendAsync(HttpMethod.Patch, $"api/v1/tasks/{id}", request, cancellationToken);
        return Ok($"Updated {Line(task)}", new JsonObject { ["task"] = task?.DeepClone() });
    });

    [McpServerTool(Name = "launch_todos"), Description("Turns todos into running tasks (each gets a container and its agent starts on the body).")]
    public Task<CallToolResult> LaunchTodosAsync([Description("UUIDs or display ids of todos.")] string[] todo_ids, CancellationToken cancellationToken = default) => RunAsync(() =>
        ForEachTaskAsync(backend, "todo_ids", todo_ids, "Launched", async id =>
            (await backend.SendAsync(HttpMethod.Post, $"api/v1/tasks/{id}/launch", null, cancellationToken))?["task"], cancellationToken));

    private static JsonObject TodoFields(string? body, string? priority, string? effort, string[]? tags, string? assignee, string? provider, string? model, string? branch, string? mode) => new()
    {
        ["body"] = body,
        ["priority"] = priority,
        ["effort"] = effort,
        ["tags"] = tags is null ? null : new JsonArray([.. tags.Select(static t => (JsonNode?)t)]),
        ["assigneeId"] = assignee,
        ["provider"] = provider,
        ["model"] = model,
        ["sourceBranch"] = branch,
        ["mode"] = mode,
    };

    private async Task<JsonNode> CreateAsync(JsonObject request, CancellationToken ct)
    {
        var caller = await backend.GetCallerAsync(ct);
        foreach (var (name, _) in request.Where(static p => p.Value is null).ToList())
        {
            request.Remove(name);
        }

        // The answer also carries the new task's internal token: it stays here, never shown to the model.
        var created = await backend.SendAsync(HttpMethod.Post, $"api/v1/workspaces/{caller.WorkspaceId}/tasks", request, ct);
        return created?["task"] ?? throw new WhimBackendException("The control API answered without the created task.");
    }

    private async Task<string?> ParentAsync(string? relationship, CancellationToken ct)
    {
        if ((OneOf("relationship", relationship, "child", "top_level") ?? "top_level") == "top_level")
        {
            return null;
        }

        var caller = await backend.GetCallerAsync(ct);
        return caller.CurrentTaskId ?? throw new WhimBackendException("Invalid input: relationship child needs a calling task, and this connection is not made from inside a task; use top_level.");
    }

    private static string TitleOf(string prompt)
    {
        var line = prompt.Trim().Split('\n')[0].Trim();
        return line.Length > 80 ? line[..80].TrimEnd() + "…" : line;
    }
}
