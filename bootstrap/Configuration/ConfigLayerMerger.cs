using System.Text;
using System.Text.RegularExpressions;

namespace Whim.Bootstrap.Configuration;

/// <summary>
/// Merges the three layers by the platform's rules (SPEC §2.1): instructions, init script and bashrc concatenated in
/// layer order with a header naming each layer; env vars merged per key, later layer wins; skills and MCP servers
/// merged by name, the entry of the highest-ranked source winning whole; plugins a union; scalar settings replaced by
/// the most specific layer that sets them. Invalid entries are dropped and reported; everything else applies.
/// </summary>
internal static partial class ConfigLayerMerger
{
    /// <summary>The built-in MCP server's name, which layers may not take.</summary>
    public const string BuiltInServerName = "whim";

    public static EffectiveConfig Merge(IReadOnlyList<ConfigLayer> layers, IReadOnlyList<string>? sourceOrder, List<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(errors);
        var ordered = LayerNames.InOrder.Select(name => layers.FirstOrDefault(l => l.Name == name) ?? new ConfigLayer(name)).ToList();
        var ranked = Rank(ordered, sourceOrder);

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var envOrder = new List<string>();
        var plugins = new List<string>();
        foreach (var layer in ordered)
        {
            foreach (var (key, value) in layer.Env)
            {
                if (!EnvName().IsMatch(key))
                {
                    errors.Add(new ConfigError(layer.Name, "env." + key, "not a valid variable name (letters, digits and _, not starting with a digit; no '=')"));
                    continue;
                }

                if (value.Contains('\0', StringComparison.Ordinal))
                {
                    errors.Add(new ConfigError(layer.Name, "env." + key, "value contains a NUL character"));
                    continue;
                }

                if (env.TryAdd(key, value))
                {
                    envOrder.Add(key);
                }
                else
                {
                    env[key] = value;
                }
            }

            foreach (var plugin in layer.Plugins)
            {
                if (!plugins.Contains(plugin, StringComparer.Ordinal))
                {
                    plugins.Add(plugin);
                }
            }
        }

        foreach (var layer in ordered)
        {
            if (layer.PermissionMode is { } mode && PermissionModes.Normalise(mode) is null && !PermissionModes.IsUsePreference(mode))
            {
                errors.Add(new ConfigError(layer.Name, "permissionMode", $"unknown mode '{mode}' (default, acceptEdits, plan, bypassPermissions)"));
            }
        }

        return new EffectiveConfig
        {
            Instructions = Concatenate(ordered, l => l.Instructions, "<!-- whim: {0} instructions -->"),
            InitScript = Concatenate(ordered, l => l.InitScript, "# --- whim: {0} init script ---"),
            Bashrc = Concatenate(ordered, l => l.Bashrc, "# --- whim: {0} bashrc ---"),
            Env = [.. envOrder.Select(k => new KeyValuePair<string, string>(k, env[k]))],
            Plugins = plugins,
            Skills = MergeSkills(ranked, errors),
            McpServers = MergeServers(ranked, errors),
            Model = MostSpecific(ordered, l => l.Model),
            PermissionMode = MostSpecific(ordered, l => PermissionModes.Normalise(l.PermissionMode)),
            ReasoningEffort = MostSpecific(ordered, l => l.ReasoningEffort),
            AutoSleep = MostSpecific(ordered, l => l.AutoSleep),
        };
    }

    /// <summary>Checks one skill; null when valid.</summary>
    public static string? ValidateSkill(SkillSpec skill)
    {
        if (string.IsNullOrEmpty(skill.Name) || !SkillName().IsMatch(skill.Name))
        {
            return "a skill name is 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit";
        }

        if (string.IsNullOrWhiteSpace(skill.Content) && (skill.Files is null || !skill.Files.ContainsKey("SKILL.md")))
        {
            return "a skill needs content or a SKILL.md file";
        }

        if (skill.Files is { } files)
        {
            if (files.Count > 50)
            {
                return "a skill has at most 50 files";
            }

            long total = 0;
            foreach (var (path, text) in files)
            {
                if (path.Length == 0 || Path.IsPathRooted(path) || path.Split('/', '\\').Any(p => p is "" or "." or ".."))
                {
                    return $"file path '{path}' must be relative, without '.' or '..' segments";
                }

                total += Encoding.UTF8.GetByteCount(text);
            }

            if (total > 2 * 1024 * 1024)
            {
                return "a skill's files total at most 2 MB";
            }
        }

        return null;
    }

    /// <summary>Checks one MCP server; null when valid.</summary>
    public static (string Field, string Reason)? ValidateServer(string name, McpServerSpec server)
    {
        if (!ServerName().IsMatch(name))
        {
            return ("", "a server name is 1-64 letters, digits, '-' or '_'");
        }

        if (string.Equals(name, BuiltInServerName, StringComparison.OrdinalIgnoreCase))
        {
            return ("", "the name 'whim' is reserved for the built-in server");
        }

        var type = server.Type ?? (server.Url is not null ? "http" : "stdio");
        return type.ToLowerInvariant() switch
        {
            "stdio" when string.IsNullOrWhiteSpace(server.Command) => (".command", "a stdio server needs a command"),
            "http" when !Uri.TryCreate(server.Url, UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https") =>
                (".url", "an http server needs an absolute http(s) url"),
            "stdio" or "http" => null,
            _ => (".type", $"unknown type '{server.Type}' (stdio or http)"),
        };
    }

    private static List<ConfigLayer> Rank(List<ConfigLayer> ordered, IReadOnlyList<string>? sourceOrder)
    {
        var order = sourceOrder is { Count: > 0 } ? sourceOrder : LayerNames.DefaultSourceOrder;
        var ranks = order.ToList();
        return [.. ordered.OrderBy(l => ranks.IndexOf(l.Name) is var i && i >= 0 ? i : int.MaxValue)];
    }

    private static List<SkillSpec> MergeSkills(List<ConfigLayer> ranked, List<ConfigError> errors)
    {
        var result = new Dictionary<string, SkillSpec>(StringComparer.Ordinal);
        foreach (var layer in ranked)
        {
            var i = 0;
            foreach (var skill in layer.Skills)
            {
                if (ValidateSkill(skill) is { } reason)
                {
                    errors.Add(new ConfigError(layer.Name, $"skills[{i}]" + (skill.Name is null ? "" : $" ({skill.Name})"), reason));
                }
                else
                {
                    result.TryAdd(skill.Name!, skill);
                }

                i++;
            }
        }

        return [.. result.Values.OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    private static List<KeyValuePair<string, McpServerSpec>> MergeServers(List<ConfigLayer> ranked, List<ConfigError> errors)
    {
        var result = new SortedDictionary<string, McpServerSpec>(StringComparer.Ordinal);
        foreach (var layer in ranked)
        {
            foreach (var (name, server) in layer.McpServers)
            {
                if (ValidateServer(name, server) is { } problem)
                {
                    errors.Add(new ConfigError(layer.Name, "mcpServers." + name + problem.Field, problem.Reason));
                }
                else
                {
                    result.TryAdd(name, server with { Type = server.Type?.ToLowerInvariant() ?? (server.Url is not null ? "http" : "stdio") });
                }
            }
        }

        return [.. result];
    }

    private static string Concatenate(List<ConfigLayer> ordered, Func<ConfigLayer, string?> field, string header)
    {
        var text = new StringBuilder();
        foreach (var layer in ordered)
        {
            if (field(layer) is { } part && !string.IsNullOrWhiteSpace(part))
            {
                if (text.Length > 0)
                {
                    text.Append('\n');
                }

                text.Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, header, layer.Name)).Append('\n');
                text.Append(part.TrimEnd('\n')).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string? MostSpecific(List<ConfigLayer> ordered, Func<ConfigLayer, string?> field)
    {
        for (var i = ordered.Count - 1; i >= 0; i--)
        {
            if (field(ordered[i]) is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex SkillName();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ServerName();
}
