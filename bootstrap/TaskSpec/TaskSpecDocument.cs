using System.Text.Json;
using System.Text.Json.Serialization;
using Whim.Bootstrap.Configuration;

namespace Whim.Bootstrap.TaskSpec;

/// <summary>
/// What bootstrap needs to set up one task: identity, repository, agent, and the three raw configuration layers.
/// The same document comes from a file (<c>--spec</c>) or, later, from <c>GET /api/v1/tasks/{id}/config</c>.
/// </summary>
internal sealed record TaskSpecDocument
{
    public string? TaskId { get; init; }

    public string? DisplayId { get; init; }

    public string? WorkspaceId { get; init; }

    public string? RepoUrl { get; init; }

    public string? SourceBranch { get; init; }

    /// <summary><c>claude</c> or <c>codex</c>.</summary>
    public string? Provider { get; init; }

    public string? Prompt { get; init; }

    /// <summary>The git token itself; bootstrap moves it into its own 0600 file.</summary>
    public string? GitToken { get; init; }

    /// <summary>Alternatively a file holding the git token, read by the credential helper at use time.</summary>
    public string? GitTokenFile { get; init; }

    public string? ApiUrl { get; init; }

    public string? InternalApiToken { get; init; }

    /// <summary>What a failing init script does: <c>continue</c> (default) or <c>stop</c>.</summary>
    public string? InitFailure { get; init; }

    public int? InitTimeoutSeconds { get; init; }

    /// <summary>Which source wins a skill/MCP name clash, highest first (default workspace_user, user, workspace).</summary>
    public List<string>? SourceOrder { get; init; }

    public JsonElement? Workspace { get; init; }

    public JsonElement? User { get; init; }

    [JsonPropertyName("workspace_user")]
    public JsonElement? WorkspaceUser { get; init; }
}

/// <summary>The JSON contracts of bootstrap (source-generated for Native AOT).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(TaskSpecDocument))]
[JsonSerializable(typeof(SkillSpec))]
[JsonSerializable(typeof(McpServerSpec))]
[JsonSerializable(typeof(Supervision.BootstrapStatus))]
[JsonSerializable(typeof(List<Agent.QueuedPrompt>))]
internal sealed partial class BootstrapJsonContext : JsonSerializerContext;
