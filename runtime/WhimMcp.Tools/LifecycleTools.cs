using System.ComponentModel;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using static Whim.WhimMcp.Tools.ToolKit;

namespace Whim.WhimMcp.Tools;

/// <summary>Communication and lifecycle: prompts, comments, pause, resume, complete, archive, fork.</summary>
[McpServerToolType]
internal sealed class LifecycleTools(IWhimBackend backend)
{
    private const string TaskIdsHelp = "UUIDs or display ids of the tasks.";

    [McpServerTool(Name = "send_prompt"), Description("Delivers a prompt to a task's agent; a sleeping or completed task is woken first. Children report to their parent this way.")]
    public Task<CallToolResult> SendPromptAsync(
        [Description(TaskIdHelp)] string task_id,
        [Description("The message for the agent.")] string prompt,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var id = await ResolveTaskIdAsync(backend, "task_id", task_id, cancellationToken);
        var sent = await backend.SendAsync(HttpMethod.Post, $"api/v1/tasks/{id}/prompts", new JsonObject { ["body"] = Required("prompt", prompt) }, cancellationToken);
        return Ok($"Prompt {Str(sent, "id")} queued for task {task_id}; its agent receives it next.", new JsonObject { ["prompt"] = sent?.DeepClone() });
    });

    [McpServerTool(Name = "complete_tasks", Destructive = true), Description("Marks tasks completed and stops their containers; branches are kept and a task can be resumed later.")]
    public Task<CallToolResult> CompleteTasksAsync([Description(TaskIdsHelp)] string[] task_ids, CancellationToken cancellationToken = default) =>
        RunAsync(() => ForEachTaskAsync(backend, "task_ids", task_ids, "Completed", id => backend.SendAsync(HttpMethod.Post, $"api/v1/tasks/{id}/complete", null, cancellationToken), cancellationToken));

    [McpServerTool(Name = "pause_tasks"), Description("Puts running tasks to sleep: the container is suspended with its files, processes and agent session kept.")]
    public Task<CallToolResult> PauseTasksAsync([Description(TaskIdsHelp)] string[] task_ids, CancellationToken cancellationToken = default) =>
        RunAsync(() => ForEachTaskAsync(backend, "task_ids", task_ids, "Paused", id => backend.SendAsync(HttpMethod.Post, $"api/v1/tasks/{id}/sleep", null, cancellationToken), cancellationToken));

    [McpServerTool(Name = "archive_tasks", Destructive = true), Description("Archives tasks: hidden from default views and their containers stopped; changes stay in Git.")]
    public Task<CallToolResult> ArchiveTasksAsync([Description(TaskIdsHelp)] string[] task_ids, CancellationToken cancellationToken = default) =>
        RunAsync(() => ForEachTaskAsync(backend, "task_ids", task_ids, "Archived", id => backend.SendAsync(HttpMethod.Post, $"api/v1/tasks/{id}/archive", null, cancellationToken), cancellationToken));

    [McpServerTool(Name = "resume_task"), Description("Wakes a sleeping or completed task, optionally with a prompt for its agent.")]
    public Task<CallToolResult> ResumeTaskAsync(
        [Description(TaskIdHelp)] string task_id,
        [Description("Optional message delivered to the agent after it wakes.")] string? prompt = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var id = await ResolveTaskIdAsync(backend, "task_id", task_id, cancellationToken);
        if (string.IsNullOrWhiteSpace(prompt))
        {
            var woken = await backend.SendAsync(HttpMethod.Post, $"api/v1/tasks/{id}/wake", null, cancellationToken);
            return Ok($"Resumed {Line(woken)}", new JsonObject { ["task"] = woken?.DeepClone() });
        }

        // Queuing a prompt wakes a sleeping or completed task in the same call.
        var sent = await backend.SendAsync(HttpMethod.Post, $"api/v1/tasks/{id}/prompts", new JsonObject { ["body"] = prompt }, cancellationToken);
        var task = await backend.SendAsync(HttpMethod.Get, $"api/v1/tasks/{id}", null, cancellationToken);
        return Ok($"Resumed {Line(task)} with prompt {Str(sent, "id")}", new JsonObject { ["task"] = task?.DeepClone(), ["prompt"] = sent?.DeepClone() });
    });

    [McpServerTool(Name = "fork_task"), Description("Starts a new task from the source task's branch and changes; the source is untouched. session copies the agent session (source must be running) and the prompt is a follow-up; summary starts fresh with the prompt.")]
    public Task<CallToolResult> ForkTaskAsync(
        [Description(TaskIdHelp)] string task_id,
        [Description("session or summary (default).")] string? mode = null,
        [Description("The new task's prompt.")] string? prompt = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var how = OneOf("mode", mode, "session", "summary") ?? "summary";
        var id = await ResolveTaskIdAsync(backend, "task_id", task_id, cancellationToken);
        var forked = await backend.SendAsync(HttpMethod.Post, $"api/v1/tasks/{id}/fork", new JsonObject { ["mode"] = how, ["prompt"] = prompt }, cancellationToken);
        var task = forked?["task"];
        return Ok($"Forked {task_id} ({how}) into {Line(task)}", new JsonObject { ["task"] = task?.DeepClone(), ["mode"] = how });
    });

    [McpServerTool(Name = "add_comment"), Description("Comments on a task or todo, or replies in a thread with parent_comment_id.")]
    public Task<CallToolResult> AddCommentAsync(
        [Description(TaskIdHelp)] string task_id,
        [Description("Markdown text of the comment.")] string body,
        [Description("The comment this one answers (from get_task_comments).")] string? parent_comment_id = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var id = await ResolveTaskIdAsync(backend, "task_id", task_id, cancellationToken);
        var comment = await backend.SendAsync(
            HttpMethod.Post, $"api/v1/tasks/{id}/comments", new JsonObject { ["body"] = Required("body", body), ["parentId"] = parent_comment_id }, cancellationToken);
        return Ok($"Comment {Str(comment, "id")} added to task {task_id}.", new JsonObject { ["comment"] = comment?.DeepClone() });
    });
}
