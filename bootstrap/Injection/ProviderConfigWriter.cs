using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Serialization;
using Whim.Bootstrap.Configuration;
using Whim.Runtime.Files;

namespace Whim.Bootstrap.Injection;

/// <summary>Where the agent's configuration goes (SPEC §2.2), resolved under <c>WHIM_ROOT</c>.</summary>
internal sealed record AgentLocations(string AppDirectory, string HomeDirectory)
{
    public string ClaudeDirectory => Path.Join(HomeDirectory, ".claude");

    public string CodexDirectory => Path.Join(HomeDirectory, ".codex");

    public string McpJson => Path.Join(HomeDirectory, ".mcp.json");

    public string ClaudeSettings => Path.Join(ClaudeDirectory, "settings.json");

    public string CodexConfig => Path.Join(CodexDirectory, "config.toml");
}

/// <summary>The built-in whim MCP server: the WhimMcp binary over stdio, told where the control API is.</summary>
internal sealed record BuiltInServer(string Command, IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Env)
{
    public McpServerSpec ToSpec() => new() { Type = "stdio", Command = Command, Args = [.. Args], Env = new(Env) };
}

/// <summary>
/// Writes the merged configuration where the chosen provider reads it: instructions, skills, MCP servers (with the
/// built-in whim server) and plugins. Existing settings files are merged into, not replaced, so image-provided keys stay.
/// </summary>
internal sealed class ProviderConfigWriter(AgentLocations locations)
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public void Write(string provider, EffectiveConfig config, BuiltInServer whim)
    {
        var codex = provider == "codex";
        var instructions = string.IsNullOrEmpty(config.Instructions) ? "" : config.Instructions;
        AtomicFile.Write(Path.Join(locations.AppDirectory, "CLAUDE.md"), s_utf8.GetBytes(instructions));
        if (codex)
        {
            AtomicFile.Write(Path.Join(locations.AppDirectory, "AGENTS.md"), s_utf8.GetBytes(instructions));
        }

        WriteSkills(Path.Join(codex ? locations.CodexDirectory : locations.ClaudeDirectory, "skills"), config.Skills);
        var servers = new List<KeyValuePair<string, McpServerSpec>> { new(ConfigLayerMerger.BuiltInServerName, whim.ToSpec()) };
        servers.AddRange(config.McpServers);
        if (codex)
        {
            WriteCodexConfig(servers, config);
        }
        else
        {
            WriteMcpJson(servers);
            WriteClaudeSettings(servers, config);
        }
    }

    private static void WriteSkills(string directory, IReadOnlyList<SkillSpec> skills)
    {
        foreach (var skill in skills)
        {
            var folder = Path.Join(directory, skill.Name);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.CreateDirectory(folder);
            foreach (var (relative, text) in skill.Files ?? [])
            {
                var path = Path.Join(folder, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, text, s_utf8);
            }

            File.WriteAllText(Path.Join(folder, "SKILL.md"), SkillMarkdown.Render(skill), s_utf8);
        }
    }

    private void WriteMcpJson(List<KeyValuePair<string, McpServerSpec>> servers)
    {
        var root = ReadJsonObject(locations.McpJson);
        var entries = new JsonObject();
        foreach (var (name, server) in servers)
        {
            var entry = new JsonObject { ["type"] = server.Type };
            if (server.IsHttp)
            {
                entry["url"] = server.Url;
                if (server.Headers is { Count: > 0 })
                {
                    entry["headers"] = StringMap(server.Headers);
                }
            }
            else
            {
                entry["command"] = server.Command;
                entry["args"] = new JsonArray([.. (server.Args ?? []).Select(a => (JsonNode?)JsonValue.Create(a))]);
                entry["env"] = StringMap(server.Env ?? []);
            }

            entries[name] = entry;
        }

        root["mcpServers"] = entries;
        WriteJson(locations.McpJson, root);
    }

    private void WriteClaudeSettings(List<KeyValuePair<string, McpServerSpec>> servers, EffectiveConfig config)
    {
        var root = ReadJsonObject(locations.ClaudeSettings);
        // Servers from ~/.mcp.json are "project" servers that Claude Code leaves pending until settings approve them.
        root["enableAllProjectMcpServers"] = true;
        root["enabledMcpjsonServers"] = new JsonArray([.. servers.Select(s => (JsonNode?)JsonValue.Create(s.Key))]);
        if (config.Plugins.Count > 0)
        {
            var plugins = root["enabledPlugins"] as JsonObject ?? [];
            foreach (var plugin in config.Plugins)
            {
                plugins[plugin] = true;
            }

            root["enabledPlugins"] = plugins;
        }

        if (config.Model is { } model)
        {
            root["model"] = model;
        }

        if (config.PermissionMode is { } mode)
        {
            var permissions = root["permissions"] as JsonObject ?? [];
            permissions["defaultMode"] = mode;
            root["permissions"] = permissions;
        }

        WriteJson(locations.ClaudeSettings, root);
    }

    private void WriteCodexConfig(List<KeyValuePair<string, McpServerSpec>> servers, EffectiveConfig config)
    {
        var path = locations.CodexConfig;
        var root = File.Exists(path) ? CodexToml.Parse(File.ReadAllText(path)) : [];
        var table = new TomlTable();
        foreach (var (name, server) in servers)
        {
            var entry = new TomlTable();
            if (server.IsHttp)
            {
                entry["url"] = server.Url!;
                if (server.Headers is { Count: > 0 })
                {
                    entry["http_headers"] = TomlMap(server.Headers);
                }
            }
            else
            {
                entry["command"] = server.Command!;
                var args = new TomlArray();
                foreach (var arg in server.Args ?? [])
                {
                    args.Add(arg);
                }

                entry["args"] = args;
                if (server.Env is { Count: > 0 })
                {
                    entry["env"] = TomlMap(server.Env);
                }
            }

            table[name] = entry;
        }

        root["mcp_servers"] = table;
        if (config.Model is { } model)
        {
            root["model"] = model;
        }

        if (config.ReasoningEffort is { } effort)
        {
            root["model_reasoning_effort"] = effort.ToLowerInvariant();
        }

        AtomicFile.Write(path, s_utf8.GetBytes(CodexToml.Serialize(root)));
        OwnerOnly.File(path);
    }

    private static TomlTable TomlMap(Dictionary<string, string> values)
    {
        var table = new TomlTable();
        foreach (var (key, value) in values)
        {
            table[key] = value;
        }

        return table;
    }

    private static JsonObject StringMap(Dictionary<string, string> values)
    {
        var map = new JsonObject();
        foreach (var (key, value) in values)
        {
            map[key] = value;
        }

        return map;
    }

    private static JsonObject ReadJsonObject(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            // A corrupt file the agent cannot read either; bootstrap owns these keys, so start it over.
            return [];
        }
    }

    // These files carry the internal API token in the whim server's env: only the agent user may read them.
    private static void WriteJson(string path, JsonObject root)
    {
        AtomicFile.Write(path, s_utf8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
        OwnerOnly.File(path);
    }
}

/// <summary>Codex's <c>config.toml</c> through Tomlyn's source-generated (AOT-safe) model contract.</summary>
internal static class CodexToml
{
    public static TomlTable Parse(string text) => TomlSerializer.Deserialize(text, CodexTomlContext.Default.TomlTable) ?? [];

    public static string Serialize(TomlTable table) => TomlSerializer.Serialize(table, CodexTomlContext.Default.TomlTable);
}

[TomlSerializable(typeof(TomlTable))]
internal sealed partial class CodexTomlContext : TomlSerializerContext;
