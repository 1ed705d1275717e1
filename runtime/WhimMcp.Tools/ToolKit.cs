using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ModelContextProtocol.Protocol;

namespace Whim.WhimMcp.Tools;

/// <summary>What every tool shares: results, input checks, id resolution and one-line task summaries.</summary>
internal static partial class ToolKit
{
    /// <summary>How every tool describes a task id parameter to the model.</summary>
    public const string TaskIdHelp = "The task's UUID or its display id such as WW-12.";

    public const string NoImages = "Images are not available on this control plane yet; there is nothing to list, build or activate.";

    /// <summary>A successful result: <paramref name="text"/> for the model and <paramref name="data"/> as structured content.</summary>
    public static CallToolResult Ok(string text, JsonObject data) => new()
    {
        Content = [new TextContentBlock { Text = text }],
        StructuredContent = JsonSerializer.SerializeToElement(data, WhimToolJson.Default.JsonObject),
    };

    /// <summary>A failed result (<c>isError: true</c>) with a sentence saying what to fix.</summary>
    public static CallToolResult Error(string text) => new()
    {
        Content = [new TextContentBlock { Text = text }],
        IsError = true,
    };

    /// <summary>Runs a tool body, turning backend and input failures into tool errors (never protocol errors).</summary>
    public static async Task<CallToolResult> RunAsync(Func<Task<CallToolResult>> body)
    {
        try
        {
            return await body();
        }
        catch (WhimBackendException e)
        {
            return Error(e.Message);
        }
    }

    /// <summary>Throws a tool error unless <paramref name="value"/> is null or one of <paramref name="allowed"/>.</summary>
    public static string? OneOf(string field, string? value, params string[] allowed)
    {
        if (value is null || allowed.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }

        throw new WhimBackendException($"Invalid input: {field} must be one of {string.Join(", ", allowed)} (got '{value}').");
    }

    public static string Required(string field, string? value) =>
        string.IsNullOrWhiteSpace(value) ? throw new WhimBackendException($"Invalid input: {field} is required.") : value;

    public static string[] RequiredList(string field, string[]? values, int max = 50)
    {
        if (values is null || values.Length == 0 || values.Any(string.IsNullOrWhiteSpace))
        {
            throw new WhimBackendException($"Invalid input: {field} must list at least one id.");
        }

        return values.Length > max ? throw new WhimBackendException($"Invalid input: {field} may list at most {max} ids.") : values;
    }

    [GeneratedRegex("^[A-Za-z]{1,8}-[0-9]+$")]
    private static partial Regex DisplayIdPattern();

    /// <summary>The task's UUID from a UUID or a display id such as <c>WW-12</c>.</summary>
    public static async Task<string> ResolveTaskIdAsync(IWhimBackend backend, string field, string? id, CancellationToken ct)
    {
        var value = Required(field, id).Trim();
        if (!DisplayIdPattern().IsMatch(value))
        {
            return Uri.EscapeDataString(value);
        }

        var caller = await backend.GetCallerAsync(ct);
        var tasks = await backend.SendAsync(HttpMethod.Get, $"api/v1/workspaces/{caller.WorkspaceId}/tasks?status=all&limit=500", null, ct) as JsonArray ?? [];
        var match = tasks.FirstOrDefault(t => string.Equals(Str(t, "displayId"), value, StringComparison.OrdinalIgnoreCase));
        return match is null
            ? throw new WhimBackendException($"Not found: {field} '{value}' names no task of this workspace. Use list_tasks to see the ids.")
            : Str(match, "id")!;
    }

    public static string? Str(JsonNode? node, string name) => node?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?[name]?.ToString();

    /// <summary><c>WW-3 [active, working] Fix login (id …)</c>.</summary>
    public static string Line(JsonNode? task)
    {
        var state = Str(task, "agentState");
        var status = state is null ? Str(task, "status") : $"{Str(task, "status")}, {state}";
        return $"{Str(task, "displayId")} [{status}] {Str(task, "title")} (id {Str(task, "id")})";
    }

    public static string Lines(IEnumerable<JsonNode?> tasks, string empty)
    {
        var text = new StringBuilder();
        foreach (var t in tasks)
        {
            text.AppendLine(Line(t));
        }

        return text.Length == 0 ? empty : text.ToString().TrimEnd();
    }

    public static string Query(params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(static p => p.Value is not null).Select(static p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}");
        var joined = string.Join('&', parts);
        return joined.Length == 0 ? string.Empty : "?" + joined;
    }

    public static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Runs <paramref name="action"/> for every id and reports each outcome; an error result when any failed.</summary>
    public static async Task<CallToolResult> ForEachTaskAsync(
        IWhimBackend backend, string field, string[]? ids, string verb, Func<string, Task<JsonNode?>> action, CancellationToken ct)
    {
        var list = RequiredList(field, ids);
        var done = new JsonArray();
        var failed = new JsonArray();
        var text = new StringBuilder();
        foreach (var id in list)
        {
            try
            {
                var taskId = await ResolveTaskIdAsync(backend, field, id, ct);
                var task = await action(taskId);
                done.Add((JsonNode?)task?.DeepClone());
                text.AppendLine($"{verb}: {Line(task)}");
            }
            catch (WhimBackendException e)
            {
                failed.Add((JsonNode)new JsonObject { ["id"] = id, ["error"] = e.Message });
                text.AppendLine($"{id}: {e.Message}");
            }
        }

        var result = Ok(text.ToString().TrimEnd(), new JsonObject { ["tasks"] = done, ["failed"] = failed });
        result.IsError = failed.Count > 0;
        return result;
    }
}
