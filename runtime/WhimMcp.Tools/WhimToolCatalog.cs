using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Whim.WhimMcp.Tools;

/// <summary>
/// The tools' protocol definitions, precomputed: building the 24 input schemas by reflection (the SDK's
/// <c>AIFunctionFactory</c>) was about half of the stdio server's start-up. <c>tools.json</c> (an embedded
/// <c>tools/list</c> result) holds what the reflected tools produce; a test fails when the two differ and can rewrite the
/// file (<c>WHIM_REGENERATE_TOOL_CATALOG=1</c>).
/// </summary>
internal static class WhimToolCatalog
{
    public const string ResourceName = "Whim.WhimMcp.Tools.tools.json";

    /// <summary>The definitions served by <c>tools/list</c>, in registration order.</summary>
    public static IList<Tool> LoadDefinitions()
    {
        using var stream = typeof(WhimToolCatalog).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded tool catalogue {ResourceName} is missing from the build.");
        var result = (ListToolsResult?)JsonSerializer.Deserialize(stream, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ListToolsResult)));
        return result?.Tools ?? throw new InvalidOperationException($"The embedded tool catalogue {ResourceName} is empty.");
    }

    /// <summary>Every tool built by reflection from its method, as <c>WithTools&lt;T&gt;</c> would: the source of truth.</summary>
    public static IEnumerable<McpServerTool> CreateReflected(IServiceProvider services) =>
        Reflect<DiscoveryTools>(services, null)
            .Concat(Reflect<CreationTools>(services, null))
            .Concat(Reflect<LifecycleTools>(services, null))
            .Concat(Reflect<WorkspaceTools>(services, null));

    /// <summary>The reflection-built tool named <paramref name="name"/>.</summary>
    public static McpServerTool CreateReflected(IServiceProvider services, string name) =>
        Reflect<DiscoveryTools>(services, name)
            .Concat(Reflect<CreationTools>(services, name))
            .Concat(Reflect<LifecycleTools>(services, name))
            .Concat(Reflect<WorkspaceTools>(services, name))
            .FirstOrDefault() ?? throw new InvalidOperationException($"No tool method is named '{name}'; regenerate the tool catalogue.");

    private static IEnumerable<McpServerTool> Reflect<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
        IServiceProvider services, string? name)
        where T : class
    {
        foreach (var method in typeof(T).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
        {
            if (method.GetCustomAttribute<McpServerToolAttribute>() is not { } attribute || (name is not null && attribute.Name != name))
            {
                continue;
            }

            var options = new McpServerToolCreateOptions { Services = services, SerializerOptions = WhimToolJson.ToolOptions };
            yield return method.IsStatic
                ? McpServerTool.Create(method, options: options)
                : McpServerTool.Create(method, static request => ActivatorUtilities.CreateInstance<T>(request.Services!), options);
        }
    }
}
