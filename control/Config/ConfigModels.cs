namespace Whim.Control.Config;

internal sealed record SkillDefinition(string? Name, string? Content);

internal sealed record McpServerDefinition(string? Name, string? Type, string? Command, IReadOnlyList<string>? Args, IReadOnlyDictionary<string, string>? Env, string? Url);

internal sealed record PluginDefinition(string? Name, string? Source, bool? Enabled);

/// <summary>One configuration layer (workspace defaults, user defaults, or a user's per-workspace overrides). Absent fields leave the lower layer's value.</summary>
internal sealed record ConfigLayer(
    string? Instructions,
    IReadOnlyList<SkillDefinition>? Skills,
    IReadOnlyList<McpServerDefinition>? McpServers,
    IReadOnlyList<PluginDefinition>? Plugins,
    IReadOnlyDictionary<string, string>? Env,
    string? InitScript,
    string? Bashrc,
    string? Model,
    string? PermissionMode,
    string? ReasoningEffort,
    int? AutoSleepMinutes,
    string? Provider)
{
    public static readonly ConfigLayer Empty = new(null, null, null, null, null, null, null, null, null, null, null, null);
}

/// <summary>A task's merged configuration; <see cref="Sources"/> names the layer each replaced setting came from.</summary>
internal sealed record EffectiveConfig(
    string TaskId,
    string Instructions,
    IReadOnlyList<SkillDefinition> Skills,
    IReadOnlyList<McpServerDefinition> McpServers,
    IReadOnlyList<PluginDefinition> Plugins,
    IReadOnlyDictionary<string, string> Env,
    string InitScript,
    string Bashrc,
    string? Model,
    string? PermissionMode,
    string? ReasoningEffort,
    int? AutoSleepMinutes,
    string? Provider,
    IReadOnlyDictionary<string, string> Sources);

internal static class ConfigLayerNames
{
    public const string Workspace = "workspace";
    public const string User = "user";
    public const string WorkspaceUser = "workspace_user";
}

/// <summary>Field rules of a layer document.</summary>
internal static class ConfigRules
{
    public static readonly string[] PermissionModes = ["default", "acceptEdits", "plan", "bypassPermissions"];
    public static readonly string[] ReasoningEfforts = ["low", "medium", "high", "max", "xhigh"];
    public static readonly string[] McpTypes = ["stdio", "http"];

    public static void Check(Validation v, ConfigLayer layer)
    {
        v.Optional("instructions", layer.Instructions, 200_000);
        v.Optional("initScript", layer.InitScript, 200_000);
        v.Optional("bashrc", layer.Bashrc, 200_000);
        v.Optional("model", layer.Model, 100);
        v.OneOf("permissionMode", layer.PermissionMode, PermissionModes);
        v.OneOf("reasoningEffort", layer.ReasoningEffort, ReasoningEfforts);
        v.Range("autoSleepMinutes", layer.AutoSleepMinutes, 0, 60);
        v.OneOf("provider", layer.Provider, Tasks.TaskRules.Providers);
        Named(v, "skills", layer.Skills, static s => s.Name, static (v, f, s) => v.Required(f + ".content", s.Content, 2_000_000));
        Named(v, "mcpServers", layer.McpServers, static s => s.Name, static (v, f, s) =>
        {
            var type = v.RequiredOneOf(f + ".type", s.Type, McpTypes);
            if (type == "stdio")
            {
                v.Required(f + ".command", s.Command, 2000);
                v.Items(f + ".args", s.Args, 100, 4000);
                EnvMap(v, f + ".env", s.Env);
            }
            else if (type == "http")
            {
                var url = v.Required(f + ".url", s.Url, 2000);
                if (url.Length > 0 && !(Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp)))
                {
                    v.Add(f + ".url", "must be an absolute http(s) URL");
                }
            }
        });
        Named(v, "plugins", layer.Plugins, static p => p.Name, static (v, f, p) => v.Optional(f + ".source", p.Source, 2000));
        EnvMap(v, "env", layer.Env);
    }

    private static void Named<T>(Validation v, string field, IReadOnlyList<T>? items, Func<T, string?> name, Action<Validation, string, T> check)
    {
        if (items is null)
        {
            return;
        }

        if (items.Count > 200)
        {
            v.Add(field, "has more than 200 entries");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var f = $"{field}[{i}]";
            if (items[i] is null)
            {
                v.Add(f, "must be an object");
                continue;
            }

            var n = v.Required(f + ".name", name(items[i]), 100);
            if (n.Length > 0 && !seen.Add(n))
            {
                v.Add(f + ".name", "appears twice in this layer");
            }

            check(v, f, items[i]);
        }
    }

    private static void EnvMap(Validation v, string field, IReadOnlyDictionary<string, string>? env)
    {
        if (env is null)
        {
            return;
        }

        foreach (var (key, value) in env)
        {
            if (key.Length is 0 or > 200 || !(char.IsAsciiLetter(key[0]) || key[0] == '_') || !key.All(static c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                v.Add($"{field}.{key}", "is not a valid variable name");
            }
            else if (value is null || value.Length > 32_000)
            {
                v.Add($"{field}.{key}", "must be a string of at most 32000 characters");
            }
        }
    }
}
