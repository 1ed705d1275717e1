using System.ComponentModel;
using System.Text;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using static Whim.WhimMcp.Tools.ToolKit;

namespace Whim.WhimMcp.Tools;

/// <summary>Workspace configuration, previews and images.</summary>
[McpServerToolType]
internal sealed class WorkspaceTools(IWhimBackend backend)
{
    public const string Masked = "***";

    [McpServerTool(Name = "get_workspace_config", ReadOnly = true), Description("The configuration (instructions, skills, MCP servers, env, scripts, model) with secret values masked. effective is the calling task's merged view.")]
    public Task<CallToolResult> GetWorkspaceConfigAsync(
        [Description("effective (default; inside a task), workspace, user or workspace_user.")] string? layer = null,
        CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var which = OneOf("layer", layer, "effective", "workspace", "user", "workspace_user") ?? "effective";
        var caller = await backend.GetCallerAsync(cancellationToken);
        var path = which switch
        {
            "effective" => caller.CurrentTaskId is { } task
                ? $"api/v1/tasks/{task}/config"
                : throw new WhimBackendException("There is no current task on this connection, so there is no effective configuration; ask for layer workspace or workspace_user."),
            "workspace" => $"api/v1/workspaces/{caller.WorkspaceId}/config",
            _ => caller.UserId is { } user
                ? which == "user" ? $"api/v1/users/{user}/config" : $"api/v1/workspaces/{caller.WorkspaceId}/users/{user}/config"
                : throw new WhimBackendException($"The {which} layer belongs to a user and this connection acts for none; ask for layer workspace."),
        };
        var config = await backend.SendAsync(HttpMethod.Get, path, null, cancellationToken) as JsonObject ?? [];
        Mask(config);
        var text = new StringBuilder($"{which} configuration:\n");
        foreach (var (name, value) in config)
        {
            var shown = value?.ToJsonString() ?? "null";
            text.AppendLine($"{name}: {(shown.Length > 500 ? shown[..500] + "…" : shown)}");
        }

        return Ok(text.ToString().TrimEnd(), new JsonObject { ["layer"] = which, ["config"] = config.DeepClone() });
    });

    /// <summary>Masks every environment value (top level and per MCP server): they often hold keys.</summary>
    internal static void Mask(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o.ToList())
                {
                    if (name is "env" or "headers" && value is JsonObject secrets)
                    {
                        foreach (var key in secrets.Select(static p => p.Key).ToList())
                        {
                            secrets[key] = Masked;
                        }
                    }
                    else
                    {
                        Mask(value);
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Mask(item);
                }

                break;
        }
    }

    [McpServerTool(Name = "list_previews", ReadOnly = true), Description("A task's listening ports with process names and preview URLs.")]
    public Task<CallToolResult> ListPreviewsAsync([Description("The task's UUID or display id such as WW-12.")] string task_id, CancellationToken cancellationToken = default) => RunAsync(async () =>
    {
        var id = await ResolveTaskIdAsync(backend, "task_id", task_id, cancellationToken);
        var ports = (await backend.SendAsync(HttpMethod.Get, $"api/v1/tasks/{id}/ports", null, cancellationToken))?["ports"] as JsonArray ?? [];
        var text = string.Join('\n', ports.Select(static p => $"port {Str(p, "port")} ({Str(p, "process")}{(p?["ready"]?.GetValue<bool>() == false ? ", not ready" : string.Empty)}): {Str(p, "previewUrl")}"));
        return Ok(text.Length == 0 ? "No listening ports." : text, new JsonObject { ["ports"] = ports.DeepClone() });
    });

    [McpServerTool(Name = "list_images", ReadOnly = true), Description("The workspace's container images: status, branch, freshness hash, active flag.")]
    public static Task<CallToolResult> ListImages() => Task.FromResult(Error(NoImages));

    [McpServerTool(Name = "build_image"), Description("Starts an image build from a manual Dockerfile or the repository; returns the build id.")]
    public static Task<CallToolResult> BuildImage(
        [Description("manual or repo.")] string? source = null,
        [Description("The Dockerfile text (source manual).")] string? dockerfile = null,
        [Description("The branch to build from (source repo).")] string? branch = null,
        [Description("Activate the image when the build is ready.")] bool? auto_activate = null) => Task.FromResult(Error(NoImages));

    [McpServerTool(Name = "activate_image"), Description("Activates a Ready and Compatible image; the warm pool is rebuilt from it.")]
    public static Task<CallToolResult> ActivateImage([Description("The image's id (from list_images).")] string image_id) => Task.FromResult(Error(NoImages));
}
