using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using static Whim.WhimMcp.Tools.ToolKit;

namespace Whim.WhimMcp.Tools;

/// <summary>Task discovery: list, read, comments, attachments, search, users, the current task.</summary>
[McpServerToolType]
internal sealed class DiscoveryTools(IWhimBackend backend)
{
    [McpServerTool(Name = "list_tasks", ReadOnly = true), Description("Lists the workspace's tasks, one line each: display id, status, agent state, title. Use it to find ids and to follow child tasks.")]
    public Task<CallToolResult> ListTasksAsync(
        [Description("active (default), sleeping, completed, archived, todo or all.")] string? status = null,
        [Description("Only the children of this task (UUID or display id).")] string? parent_task_id = null,
        [Description("At most this many tasks (default 50, max 200).")] int? limit = null,
        [Description("Skip this many tasks first (default 0).")] int? offset = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var filter = OneOf("status", status, "active", "sleeping", "completed", "archived", "todo", "all") ?? "active";
        var take = limit ?? 50;
        var skip = offset ?? 0;
        if (take is < 1 or > 200 || skip is < 0 or > 300)
        {
            return Error("Invalid input: limit must be 1 to 200 and offset 0 to 300.");
        }

        var caller = await backend.GetCallerAsync(cancellationToken);
        var parent = parent_task_id is null ? null : await ResolveTaskIdAsync(backend, "parent_task_id", parent_task_id, cancellationToken);
        var path = $"api/v1/workspaces/{caller.WorkspaceId}/tasks" + Query(("status", filter), ("parentId", parent), ("limit", Num(take + skip)));
        var all = await backend.SendAsync(HttpMethod.Get, path, null, cancellationToken) as JsonArray ?? [];
        var page = all.Skip(skip).Take(take).Select(static t => t?.DeepClone()).ToArray();
        return Ok(Lines(page, $"No {filter} tasks."), new JsonObject { ["status"] = filter, ["tasks"] = new JsonArray(page) });
    });

    [McpServerTool(Name = "get_task", ReadOnly = true), Description("Details of one task (status, branch, parent, children, ports) and optionally its agent conversation.")]
    public Task<CallToolResult> GetTaskAsync(
        [Description(TaskIdHelp)] string task_id,
        [Description("Conversation to include: none (default), first, last or full.")] string? history = null,
        [Description("How many messages for first/last (default 20, max 200).")] int? history_limit = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var mode = OneOf("history", history, "none", "first", "last", "full") ?? "none";
        var count = history_limit ?? 20;
        if (count is < 1 or > 200)
        {
            return Error("Invalid input: history_limit must be 1 to 200.");
        }

        var id = await ResolveTaskIdAsync(backend, "task_id", task_id, cancellationToken);
        var task = (await backend.SendAsync(HttpMethod.Get, $"api/v1/tasks/{id}", null, cancellationToken))!.AsObject();
        var children = await backend.SendAsync(HttpMethod.Get, $"api/v1/workspaces/{Str(task, "workspaceId")}/tasks?status=all&parentId={id}&limit=200", null, cancellationToken) as JsonArray ?? [];
        var ports = (await backend.SendAsync(HttpMethod.Get, $"api/v1/tasks/{id}/ports", null, cancellationToken))?["ports"] as JsonArray ?? [];

        var text = new StringBuilder();
        text.AppendLine(Line(task));
        text.AppendLine($"Branch: {Str(task, "branch")} (from {Str(task, "sourceBranch")}); provider {Str(task, "provider")}{(Str(task, "model") is { } m ? " " + m : string.Empty)}; mode {Str(task, "mode")}");
        if (Str(task, "parentId") is { } parentId)
        {
            text.AppendLine($"Parent: {parentId}");
        }

        text.AppendLine(children.Count == 0 ? "Children: none" : "Children:\n" + Lines(children, string.Empty));
        text.AppendLine(ports.Count == 0 ? "Ports: none" : "Ports: " + string.Join(", ", ports.Select(static p => $"{Str(p, "port")} {Str(p, "process")} {Str(p, "previewUrl")}")));
        if (Str(task, "body") is { Length: > 0 } body)
        {
            text.AppendLine("Prompt: " + (body.Length > 1000 ? body[..1000] + "…" : body));
        }

        var data = new JsonObject { ["task"] = task.DeepClone(), ["children"] = children.DeepClone(), ["ports"] = ports.DeepClone() };
        if (mode != "none")
        {
            var messages = await ReadConversationAsync(id, cancellationToken);
            var picked = mode switch
            {
                "first" => messages.Take(count).ToList(),
                "last" => messages.Skip(Math.Max(0, messages.Count - count)).ToList(),
                _ => messages,
            };
            text.AppendLine(picked.Count == 0 ? "Conversation: none recorded yet." : $"Conversation ({mode}, {picked.Count} of {messages.Count} messages):");
            foreach (var message in picked)
            {
                text.AppendLine($"[{message.Role}] {message.Text}");
            }

            data["conversation"] = new JsonArray([.. picked.Select(static m => new JsonObject { ["role"] = m.Role, ["text"] = m.Text })]);
        }

        return Ok(text.ToString().TrimEnd(), data);
    });

    private async Task<List<ConversationMessage>> ReadConversationAsync(string taskId, CancellationToken ct)
    {
        var streams = (await backend.SendAsync(HttpMethod.Get, $"api/v1/tasks/{taskId}/history", null, ct))?["streams"] as JsonArray ?? [];
        var messages = new List<ConversationMessage>();
        foreach (var stream in streams.Where(static s => Str(s, "kind") == "conversation").Select(static s => Str(s, "stream")!).Order(StringComparer.Ordinal))
        {
            var path = string.Join('/', stream.Split('/').Select(Uri.EscapeDataString));
            messages.AddRange(Conversation.Parse(await backend.GetTextAsync($"api/v1/tasks/{taskId}/history/{path}", ct)));
        }

        return messages;
    }

    [McpServerTool(Name = "get_task_comments", ReadOnly = true), Description("The comments of a task or todo, with threaded replies indented under the comment they answer.")]
    public Task<CallToolResult> GetTaskCommentsAsync([Description(TaskIdHelp)] string task_id, CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var id = await ResolveTaskIdAsync(backend, "task_id", task_id, cancellationToken);
        var comments = await backend.SendAsync(HttpMethod.Get, $"api/v1/tasks/{id}/comments", null, cancellationToken) as JsonArray ?? [];
        var text = new StringBuilder();
        void Thread(string? parent, int depth)
        {
            foreach (var c in comments.Where(c => Str(c, "parentId") == parent))
            {
                text.Append(' ', depth * 2).AppendLine($"- {Str(c, "author")} at {Str(c, "createdAt")} (comment {Str(c, "id")}): {Str(c, "body")}");
                Thread(Str(c, "id"), depth + 1);
            }
        }

        Thread(null, 0);
        return Ok(text.Length == 0 ? "No comments." : text.ToString().TrimEnd(), new JsonObject { ["comments"] = comments.DeepClone() });
    });

    [McpServerTool(Name = "get_task_attachments", ReadOnly = true), Description("Metadata of a task's attachments (name, type, size) with their preview URLs.")]
    public Task<CallToolResult> GetTaskAttachmentsAsync([Description(TaskIdHelp)] string task_id, CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var id = await ResolveTaskIdAsync(backend, "task_id", task_id, cancellationToken);
        var list = await backend.SendAsync(HttpMethod.Get, $"api/v1/tasks/{id}/attachments", null, cancellationToken) as JsonArray ?? [];
        var text = string.Join('\n', list.Select(static a => $"{Str(a, "name")} ({Str(a, "contentType")}, {Str(a, "size")} bytes): {Str(a, "previewUrl")}"));
        return Ok(text.Length == 0 ? "No attachments." : text, new JsonObject { ["attachments"] = list.DeepClone() });
    });

    [McpServerTool(Name = "search", ReadOnly = true), Description("Ranked hits across the workspace's agent conversations and shell history. Keyword full-text search; semantic and hybrid fall back to keyword while no embedding model is configured.")]
    public Task<CallToolResult> SearchAsync(
        [Description("Words to look for.")] string query,
        [Description("keyword, semantic or hybrid (default).")] string? mode = null,
        [Description("all (default), conversations or shell.")] string? history_type = null,
        [Description("Only this task (UUID or display id).")] string? task_id = null,
        [Description("Only hits at or after this ISO-8601 time.")] string? since = null,
        [Description("Only hits before this ISO-8601 time.")] string? until = null,
        [Description("Minimum score of a hit (0 keeps all).")] double? threshold = null,
        [Description("At most this many hits (default 20, max 200).")] int? limit = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var words = Required("query", query);
        var how = OneOf("mode", mode, "keyword", "semantic", "hybrid") ?? "hybrid";
        var type = (OneOf("history_type", history_type, "all", "conversations", "shell") ?? "all") switch
        {
            "conversations" => "conversation",
            var t => t,
        };
        var from = Time("since", since);
        var to = Time("until", until);
        if (limit is < 1 or > 200)
        {
            return Error("Invalid input: limit must be 1 to 200.");
        }

        var caller = await backend.GetCallerAsync(cancellationToken);
        var task = task_id is null ? null : await ResolveTaskIdAsync(backend, "task_id", task_id, cancellationToken);
        var answer = await backend.SendAsync(
            HttpMethod.Get,
            $"api/v1/workspaces/{caller.WorkspaceId}/search" + Query(("q", words), ("type", type), ("taskId", task), ("limit", Num(limit ?? 20))),
            null,
            cancellationToken);
        var hits = (answer?["hits"] as JsonArray ?? []).Where(h =>
        {
            var at = DateTimeOffset.TryParse(Str(h, "at"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : (DateTimeOffset?)null;
            var score = h?["score"]?.GetValue<double>() ?? 0;
            return (from is null || at >= from) && (to is null || at < to) && (threshold is null || score >= threshold);
        }).Select(static h => h?.DeepClone()).ToArray();
        var note = how == "keyword" ? string.Empty : $"Note: {how} search fell back to keyword search (no embedding model is configured).\n";
        var text = note + (hits.Length == 0
            ? $"No hits for '{words}'."
            : string.Join('\n', hits.Select(static h => $"task {Str(h, "taskId")} {Str(h, "kind")} {Str(h, "stream")} @{Str(h, "offset")} ({Str(h, "at")}): {Str(h, "snippet")}")));
        return Ok(text, new JsonObject { ["query"] = words, ["mode"] = "keyword", ["requestedMode"] = how, ["hits"] = new JsonArray(hits) });
    });

    private static DateTimeOffset? Time(string field, string? value) =>
        value is null ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
        : throw new WhimBackendException($"Invalid input: {field} must be an ISO-8601 time such as 2026-11-27T10:00:00Z.");

    [McpServerTool(Name = "list_workspace_users", ReadOnly = true), Description("The workspace's members with ids, names and roles; use an id as assignee_id of a todo.")]
    public Task<CallToolResult> ListWorkspaceUsersAsync(CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var caller = await backend.GetCallerAsync(cancellationToken);
        var users = await backend.SendAsync(HttpMethod.Get, $"api/v1/workspaces/{caller.WorkspaceId}/users", null, cancellationToken) as JsonArray ?? [];
        var text = string.Join('\n', users.Select(static u => $"{Str(u, "name")} <{Str(u, "email")}> {Str(u, "role")} (id {Str(u, "userId")})"));
        return Ok(text.Length == 0 ? "No members." : text, new JsonObject { ["users"] = users.DeepClone() });
    });

    [McpServerTool(Name = "get_current_task", ReadOnly = true), Description("The task this agent runs in: ids, display id, parent, branch, workspace and preview URLs. Only inside a task (stdio).")]
    public Task<CallToolResult> GetCurrentTaskAsync(CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var caller = await backend.GetCallerAsync(cancellationToken);
        if (caller.CurrentTaskId is not { } id)
        {
            return Error("There is no current task: this MCP connection is not made from inside a task. Use list_tasks or get_task with an id instead.");
        }

        var task = (await backend.SendAsync(HttpMethod.Get, $"api/v1/tasks/{id}", null, cancellationToken))!.AsObject();
        var ports = (await backend.SendAsync(HttpMethod.Get, $"api/v1/tasks/{id}/ports", null, cancellationToken))?["ports"] as JsonArray ?? [];
        var text = $"{Line(task)}\nWorkspace: {Str(task, "workspaceId")}; branch {Str(task, "branch")}; parent {Str(task, "parentId") ?? "none"}\n" +
                   (ports.Count == 0 ? "Previews: none" : "Previews: " + string.Join(", ", ports.Select(static p => $"{Str(p, "port")} {Str(p, "previewUrl")}")));
        return Ok(text, new JsonObject { ["task"] = task.DeepClone(), ["ports"] = ports.DeepClone() });
    });
}
