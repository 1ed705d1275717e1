using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>
    /// The definitions served by <c>tools/list</c>, in registration order. Read with <see cref="JsonDocument"/> rather
    /// than the SDK's serializer: building the serializer's metadata for <see cref="Tool"/> at start cost more than the
    /// whole parse. A property this reader does not know fails loudly (the catalogue test then says what to add).
    /// </summary>
    public static IList<Tool> LoadDefinitions()
    {
        using var stream = typeof(WhimToolCatalog).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded tool catalogue {ResourceName} is missing from the build.");
        using var document = JsonDocument.Parse(stream);
        var tools = new List<Tool>();
        foreach (var item in document.RootElement.GetProperty("tools").EnumerateArray())
        {
            tools.Add(ReadTool(item));
        }

        return tools;
    }

    private static Tool ReadTool(JsonElement item)
    {
        var tool = new Tool { Name = item.GetProperty("name").GetString()! };
        foreach (var property in item.EnumerateObject())
        {
            switch (property.Name)
            {
                case "name":
                    break;
                case "title":
                    tool.Title = property.Value.GetString();
                    break;
                case "description":
                    tool.Description = property.Value.GetString();
                    break;
                case "inputSchema":
                    tool.InputSchema = property.Value.Clone();
                    break;
                case "outputSchema":
                    tool.OutputSchema = property.Value.Clone();
                    break;
                case "annotations":
                    tool.Annotations = ReadAnnotations(tool.Name, property.Value);
                    break;
                default:
                    throw Unsupported(tool.Name, property.Name);
            }
        }

        return tool;
    }

    private static ToolAnnotations ReadAnnotations(string tool, JsonElement item)
    {
        var annotations = new ToolAnnotations();
        foreach (var property in item.EnumerateObject())
        {
            switch (property.Name)
            {
                case "title":
                    annotations.Title = property.Value.GetString();
                    break;
                case "readOnlyHint":
                    annotations.ReadOnlyHint = property.Value.GetBoolean();
                    break;
                case "destructiveHint":
                    annotations.DestructiveHint = property.Value.GetBoolean();
                    break;
                case "idempotentHint":
                    annotations.IdempotentHint = property.Value.GetBoolean();
                    break;
                case "openWorldHint":
                    annotations.OpenWorldHint = property.Value.GetBoolean();
                    break;
                default:
                    throw Unsupported(tool, "annotations." + property.Name);
            }
        }

        return annotations;
    }

    private static InvalidOperationException Unsupported(string tool, string property) =>
        new($"The tool catalogue {ResourceName} gives {tool} a property '{property}' that {nameof(WhimToolCatalog)} does not read yet; add it there.");

    /// <summary>Every tool built by reflection from its method, as <c>WithTools&lt;T&gt;</c> would: the source of truth.</summary>
    public static IEnumerable<McpServerTool> CreateReflected(IServiceProvider services) => ReflectAll(services, null);

    /// <summary>The reflection-built tool named <paramref name="name"/>.</summary>
    public static McpServerTool CreateReflected(IServiceProvider services, string name) =>
        ReflectAll(services, name).FirstOrDefault() ?? throw new InvalidOperationException($"No tool method is named '{name}'; regenerate the tool catalogue.");

    private static IEnumerable<McpServerTool> ReflectAll(IServiceProvider services, string? name) =>
        Reflect<DiscoveryTools>(services, name)
            .Concat(Reflect<CreationTools>(services, name))
            .Concat(Reflect<LifecycleTools>(services, name))
            .Concat(Reflect<WorkspaceTools>(services, name));

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
