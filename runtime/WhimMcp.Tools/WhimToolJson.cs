using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ModelContextProtocol;

namespace Whim.WhimMcp.Tools;

/// <summary>One item of <c>create_batch</c>.</summary>
public sealed record BatchItem(
    [property: System.ComponentModel.Description("Title of the task or todo (required).")] string Title,
    [property: System.ComponentModel.Description("Markdown body: for a task, the prompt its agent starts with.")] string? Body = null,
    [property: System.ComponentModel.Description("Free-form tags.")] string[]? Tags = null,
    [property: System.ComponentModel.Description("urgent, high, medium (default) or low.")] string? Priority = null,
    [property: System.ComponentModel.Description("small, medium or large.")] string? Effort = null);

/// <summary>Every type the tools bind or return: tool parameters and structured results.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(BatchItem[]))]
[JsonSerializable(typeof(int?))]
[JsonSerializable(typeof(double?))]
[JsonSerializable(typeof(bool?))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class WhimToolJson : JsonSerializerContext
{
    /// <summary>The options handed to <c>WithTools&lt;T&gt;</c>: this context first, then the SDK's protocol types.</summary>
    public static JsonSerializerOptions ToolOptions => s_toolOptions.Value;

    // Lazy: the generated Default is initialised by another part of this partial class, after a field initialiser here would run.
    private static readonly Lazy<JsonSerializerOptions> s_toolOptions = new(CreateOptions);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
        options.TypeInfoResolverChain.Add(Default);
        options.TypeInfoResolverChain.Add(McpJsonUtilities.DefaultOptions.TypeInfoResolver!);
        options.MakeReadOnly();
        return options;
    }
}
