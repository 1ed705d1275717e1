namespace Whim.Control.Tasks;

internal sealed record TaskView(
    string Id,
    string WorkspaceId,
    string DisplayId,
    long Number,
    string Title,
    string Body,
    string Status,
    string? ParentId,
    string Branch,
    string SourceBranch,
    string Provider,
    string? Model,
    string Mode,
    string Priority,
    string? Effort,
    IReadOnlyList<string> Tags,
    string? AssigneeId,
    string? CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LaunchedAt,
    string? AgentState,
    DateTimeOffset? LastHeartbeatAt,
    DateTimeOffset? IdleSince,
    Machines.TaskMachine? Machine);

/// <summary>Creates a todo (not launched) or, with <c>launch: true</c>, a running task.</summary>
internal sealed record CreateTaskRequest(
    string? Title,
    string? Body,
    string? ParentId,
    string? SourceBranch,
    string? Provider,
    string? Model,
    string? Mode,
    string? Priority,
    string? Effort,
    IReadOnlyList<string>? Tags,
    string? AssigneeId,
    string? CreatedBy,
    bool? Launch);

/// <summary>Edits a todo's fields; only todos (not yet launched) may change, except title and tags.</summary>
internal sealed record UpdateTaskRequest(
    string? Title,
    string? Body,
    string? SourceBranch,
    string? Provider,
    string? Model,
    string? Mode,
    string? Priority,
    string? Effort,
    IReadOnlyList<string>? Tags,
    string? AssigneeId);

/// <summary>A created or launched task; <see cref="InternalToken"/> is present only when it was just launched, and shown only then.</summary>
internal sealed record TaskCreated(TaskView Task, string? InternalToken);

internal sealed record MachineEndpointsRequest(string? LocalProxyUrl, string? GenerationProxyUrl, string? BackupAgentUrl);

internal static class TaskRules
{
    public const string Todo = "todo";
    public const string Active = "active";
    public const string Sleeping = "sleeping";
    public const string Completed = "completed";
    public const string Archived = "archived";

    public static readonly string[] Statuses = [Todo, Active, Sleeping, Completed, Archived];
    public static readonly string[] StatusFilters = [Todo, Active, Sleeping, Completed, Archived, "all"];
    public static readonly string[] Providers = ["claude", "codex"];
    public static readonly string[] Modes = ["simple", "orchestrator"];
    public static readonly string[] Priorities = ["urgent", "high", "medium", "low"];
    public static readonly string[] Efforts = ["small", "medium", "large"];

    public const int MaxTitle = 200;
    public const int MaxBody = 100_000;
    public const int MaxBranch = 200;
    public const int MaxTags = 20;
    public const int MaxTag = 50;

    /// <summary>Validates every field of a create request; returns nothing, the caller reads <paramref name="v"/>.</summary>
    public static void Check(Validation v, CreateTaskRequest r)
    {
        v.Required("title", r.Title, MaxTitle);
        v.Optional("parentId", r.ParentId, 64);
        v.Optional("createdBy", r.CreatedBy, 64);
        CheckTodoFields(v, new UpdateTaskRequest(null, r.Body, r.SourceBranch, r.Provider, r.Model, r.Mode, r.Priority, r.Effort, r.Tags, r.AssigneeId));
    }

    public static void Check(Validation v, UpdateTaskRequest r)
    {
        if (r.Title is not null)
        {
            v.Required("title", r.Title, MaxTitle);
        }

        CheckTodoFields(v, r);
    }

    private static void CheckTodoFields(Validation v, UpdateTaskRequest r)
    {
        v.Optional("body", r.Body, MaxBody);
        v.Optional("sourceBranch", r.SourceBranch, MaxBranch);
        v.OneOf("provider", r.Provider, Providers);
        v.Optional("model", r.Model, 100);
        v.OneOf("mode", r.Mode, Modes);
        v.OneOf("priority", r.Priority, Priorities);
        v.OneOf("effort", r.Effort, Efforts);
        v.Items("tags", r.Tags, MaxTags, MaxTag);
        v.Optional("assigneeId", r.AssigneeId, 64);
    }
}
