using System.Text.Json;
using Whim.Bootstrap.TaskSpec;

namespace Whim.Bootstrap.Configuration;

/// <summary>
/// Reads one raw layer field by field, so a malformed field (or entry) is reported with its layer and name and the
/// rest of the layer still applies. A layer given as a string is parsed as JSON text first.
/// </summary>
internal static class ConfigLayerParser
{
    public static ConfigLayer Parse(string layerName, JsonElement? raw, List<ConfigError> errors)
    {
        var layer = new ConfigLayer(layerName);
        if (raw is not { } element || element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return layer;
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            try
            {
                using var document = JsonDocument.Parse(element.GetString()!);
                return Parse(layerName, document.RootElement.Clone(), errors);
            }
            catch (JsonException e)
            {
                errors.Add(new ConfigError(layerName, "(layer)", "invalid JSON: " + e.Message));
                return layer;
            }
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ConfigError(layerName, "(layer)", $"expected a JSON object, got {element.ValueKind}"));
            return layer;
        }

        var reader = new FieldReader(layerName, element, errors);
        return layer with
        {
            Instructions = reader.String("instructions"),
            Skills = reader.Skills(),
            McpServers = reader.McpServers(),
            Plugins = reader.Plugins(),
            Env = reader.Env(),
            InitScript = reader.String("initScript"),
            Bashrc = reader.String("bashrc"),
            Model = reader.String("model"),
            PermissionMode = reader.String("permissionMode"),
            ReasoningEffort = reader.String("reasoningEffort"),
            AutoSleep = reader.Scalar("autoSleep"),
        };
    }

    private readonly struct FieldReader(string layer, JsonElement element, List<ConfigError> errors)
    {
        public string? String(string field)
        {
            if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                errors.Add(new ConfigError(layer, field, $"expected a string, got {value.ValueKind}"));
                return null;
            }

            return value.GetString();
        }

        public string? Scalar(string field)
        {
            if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                _ => Fail<string>(field, $"expected a string or a number, got {value.ValueKind}"),
            };
        }

        public IReadOnlyList<SkillSpec> Skills()
        {
            var list = new List<SkillSpec>();
            if (Array("skills") is not { } array)
            {
                return list;
            }

            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                var skill = Deserialize(item, $"skills[{i}]", BootstrapJsonContext.Default.SkillSpec);
                if (skill is not null)
                {
                    list.Add(skill);
                }

                i++;
            }

            return list;
        }

        public IReadOnlyList<KeyValuePair<string, McpServerSpec>> McpServers()
        {
            var list = new List<KeyValuePair<string, McpServerSpec>>();
            if (Object("mcpServers") is not { } servers)
            {
                return list;
            }

            foreach (var property in servers.EnumerateObject())
            {
                var server = Deserialize(property.Value, "mcpServers." + property.Name, BootstrapJsonContext.Default.McpServerSpec);
                if (server is not null)
                {
                    list.Add(new(property.Name, server));
                }
            }

            return list;
        }

        public IReadOnlyList<string> Plugins()
        {
            var list = new List<string>();
            if (Array("plugins") is not { } array)
            {
                return list;
            }

            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(item.GetString()))
                {
                    list.Add(item.GetString()!);
                }
                else
                {
                    errors.Add(new ConfigError(layer, $"plugins[{i}]", "expected a plugin id string such as name@marketplace"));
                }

                i++;
            }

            return list;
        }

        public IReadOnlyList<KeyValuePair<string, string>> Env()
        {
            var list = new List<KeyValuePair<string, string>>();
            if (Object("env") is not { } env)
            {
                return list;
            }

            foreach (var property in env.EnumerateObject())
            {
                var value = property.Value;
                switch (value.ValueKind)
                {
                    case JsonValueKind.String:
                        list.Add(new(property.Name, value.GetString()!));
                        break;
                    case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                        list.Add(new(property.Name, value.GetRawText()));
                        break;
                    default:
                        errors.Add(new ConfigError(layer, "env." + property.Name, $"expected a string value, got {value.ValueKind}"));
                        break;
                }
            }

            return list;
        }

        private JsonElement? Array(string field) => OfKind(field, JsonValueKind.Array, "an array");

        private JsonElement? Object(string field) => OfKind(field, JsonValueKind.Object, "an object");

        private JsonElement? OfKind(string field, JsonValueKind kind, string what)
        {
            if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return value.ValueKind == kind ? value : Fail<JsonElement?>(field, $"expected {what}, got {value.ValueKind}");
        }

        private T? Deserialize<T>(JsonElement item, string field, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
            where T : class
        {
            try
            {
                return item.Deserialize(typeInfo) ?? Fail<T>(field, "must not be null");
            }
            catch (JsonException e)
            {
                var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? field : field + e.Path.TrimStart('$');
                return Fail<T>(where, "malformed: " + FirstSentence(e.Message));
            }
        }

        private T? Fail<T>(string field, string reason)
        {
            errors.Add(new ConfigError(layer, field, reason));
            return default;
        }

        private static string FirstSentence(string message)
        {
            var end = message.IndexOf(". ", StringComparison.Ordinal);
            return end < 0 ? message : message[..end];
        }
    }
}
