using System.Text;

namespace Whim.Control.Config;

/// <summary>
/// Merges the three layers, general to specific (workspace → user → workspace_user), by SPEC §2.1:
/// env vars, MCP servers, plugins and skills are merged by name with the more specific layer's entry winning whole;
/// instructions, init script and bashrc are concatenated in layer order, each part headed by a comment naming its
/// layer; model, permission mode, reasoning effort, auto-sleep and provider are replaced by the most specific value.
/// </summary>
internal static class ConfigLayerMerger
{
    public static EffectiveConfig Merge(string taskId, IReadOnlyList<(string Name, ConfigLayer Layer)> layers)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        return new EffectiveConfig(
            taskId,
            Concatenate(layers, static l => l.Instructions, static n => $"<!-- layer: {n} -->"),
            ByName(layers, static l => l.Skills, static s => s.Name!),
            ByName(layers, static l => l.McpServers, static s => s.Name!),
            ByName(layers, static l => l.Plugins, static p => p.Name!),
            Env(layers),
            Concatenate(layers, static l => l.InitScript, static n => $"# layer: {n}"),
            Concatenate(layers, static l => l.Bashrc, static n => $"# layer: {n}"),
            Replace(layers, static l => l.Model, "model", sources),
            Replace(layers, static l => l.PermissionMode, "permissionMode", sources),
            Replace(layers, static l => l.ReasoningEffort, "reasoningEffort", sources),
            Replace(layers, static l => l.AutoSleepMinutes, "autoSleepMinutes", sources),
            Replace(layers, static l => l.Provider, "provider", sources),
            sources);
    }

    private static string Concatenate(IReadOnlyList<(string Name, ConfigLayer Layer)> layers, Func<ConfigLayer, string?> text, Func<string, string> header)
    {
        var result = new StringBuilder();
        foreach (var (name, layer) in layers)
        {
            if (string.IsNullOrEmpty(text(layer)))
            {
                continue;
            }

            if (result.Length > 0)
            {
                result.Append('\n');
            }

            result.Append(header(name)).Append('\n').Append(text(layer)!.TrimEnd('\n')).Append('\n');
        }

        return result.ToString();
    }

    private static List<T> ByName<T>(IReadOnlyList<(string Name, ConfigLayer Layer)> layers, Func<ConfigLayer, IReadOnlyList<T>?> items, Func<T, string> name)
    {
        // Keep first-seen order for stable output; a later (more specific) layer replaces the entry in place.
        var order = new List<string>();
        var byName = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (_, layer) in layers)
        {
            foreach (var item in items(layer) ?? [])
            {
                var key = name(item);
                if (!byName.ContainsKey(key))
                {
                    order.Add(key);
                }

                byName[key] = item;
            }
        }

        return order.ConvertAll(k => byName[k]);
    }

    private static SortedDictionary<string, string> Env(IReadOnlyList<(string Name, ConfigLayer Layer)> layers)
    {
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (_, layer) in layers)
        {
            foreach (var (key, value) in layer.Env ?? new Dictionary<string, string>())
            {
                env[key] = value;
            }
        }

        return env;
    }

    private static T? Replace<T>(IReadOnlyList<(string Name, ConfigLayer Layer)> layers, Func<ConfigLayer, T?> value, string setting, Dictionary<string, string> sources)
    {
        T? result = default;
        foreach (var (name, layer) in layers)
        {
            if (value(layer) is { } v)
            {
                result = v;
                sources[setting] = name;
            }
        }

        return result;
    }
}
