using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Server;

namespace Whim.WhimMcp.Tools;

/// <summary>Registers the 24 tools (explicit types, no assembly scanning: Native AOT).</summary>
public static class WhimToolsRegistration
{
    /// <summary>The tool names, as clients see them (SPEC §1.3).</summary>
    public static readonly IReadOnlyList<string> ToolNames =
    [
        "list_tasks", "get_task", "get_task_comments", "get_task_attachments", "search", "list_workspace_users",
        "create_task", "create_batch", "send_prompt", "complete_tasks", "create_todo", "update_todo", "launch_todos",
        "pause_tasks", "resume_task", "archive_tasks", "fork_task", "add_comment", "get_current_task",
        "get_workspace_config", "list_previews", "list_images", "build_image", "activate_image",
    ];

    /// <summary>
    /// Adds every Whim tool; an <see cref="IWhimBackend"/> must be registered by the host. <c>tools/list</c> answers from
    /// the precomputed catalogue; each tool's method is bound by reflection on its first call.
    /// </summary>
    public static IMcpServerBuilder WithWhimTools(this IMcpServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var definition in WhimToolCatalog.LoadDefinitions())
        {
            var name = definition.Name;
            builder.Services.AddSingleton<McpServerTool>(services => new DeferredTool(definition, () => WhimToolCatalog.CreateReflected(services, name)));
        }

        return builder;
    }

    /// <summary>Every Whim tool for a server built without DI registration; <paramref name="services"/> must provide an <see cref="IWhimBackend"/>.</summary>
    public static IEnumerable<McpServerTool> CreateTools(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return WhimToolCatalog.LoadDefinitions().Select(definition => new DeferredTool(definition, () => WhimToolCatalog.CreateReflected(services, definition.Name)));
    }
}
