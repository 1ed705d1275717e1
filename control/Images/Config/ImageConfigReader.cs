using System.Text.Json;
using System.Text.RegularExpressions;

namespace Whim.Control.Images.Config;

/// <summary>
/// Reads a repo-managed image configuration: <c>whim.json</c> (field <c>image</c>) first, else <c>package.json</c>
/// (field <c>whim.image</c>). Every problem is reported with the file and the field; nothing throws on bad input.
/// </summary>
public static partial class ImageConfigReader
{
    /// <summary>The file checked first.</summary>
    public const string WhimJson = "whim.json";

    /// <summary>The file checked when <c>whim.json</c> is absent.</summary>
    public const string PackageJson = "package.json";

    private static readonly JsonDocumentOptions s_options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 };

    /// <summary>Reads the configuration of a repository revision. A repository with neither file has no image.</summary>
    public static ImageConfigResult Read(IRepositoryFiles repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var whim = repository.TryRead(WhimJson);
        if (whim is not null)
        {
            return Parse(WhimJson, whim, ImageConfigSource.WhimJson);
        }

        var package = repository.TryRead(PackageJson);
        if (package is not null)
        {
            return Parse(PackageJson, package, ImageConfigSource.PackageJson);
        }

        return new ImageConfigResult(null, null, [new ConfigError(WhimJson, "image", $"no {WhimJson} or {PackageJson} with an image configuration in the repository root")]);
    }

    /// <summary>Parses one file's bytes; <paramref name="source"/> decides where the image object sits.</summary>
    public static ImageConfigResult Parse(string file, ReadOnlySpan<byte> json, ImageConfigSource source)
    {
        var errors = new List<ConfigError>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), s_options);
        }
        catch (JsonException e)
        {
            return Fail(file, "$", $"is not valid JSON ({e.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Fail(file, "$", "must be a JSON object");
            }

            JsonElement image;
            string prefix;
            if (source == ImageConfigSource.WhimJson)
            {
                prefix = "image";
                if (!root.TryGetProperty("image", out image))
                {
                    return Fail(file, prefix, "is required");
                }
            }
            else
            {
                prefix = "whim.image";
                if (!root.TryGetProperty("whim", out var whim))
                {
                    return Fail(file, "whim", "is required (package.json holds the image configuration in whim.image)");
                }

                if (whim.ValueKind != JsonValueKind.Object)
                {
                    return Fail(file, "whim", "must be an object");
                }

                if (!whim.TryGetProperty("image", out image))
                {
                    return Fail(file, prefix, "is required");
                }
            }

            if (image.ValueKind != JsonValueKind.Object)
            {
                return Fail(file, prefix, "must be an object");
            }

            string? dockerfile = null;
            var context = ".";
            var staged = new SortedSet<string>(StringComparer.Ordinal);
            var secrets = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var property in image.EnumerateObject())
            {
                var field = prefix + "." + property.Name;
                switch (property.Name)
                {
                    case "dockerfile":
                        dockerfile = ReadPath(file, field, property.Value, errors, allowRoot: false);
                        break;
                    case "context":
                        context = ReadPath(file, field, property.Value, errors, allowRoot: true) ?? ".";
                        break;
                    case "stagedFiles":
                        ReadArray(file, field, property.Value, errors, (item, itemField) =>
                        {
                            var path = ReadPath(file, itemField, item, errors, allowRoot: false);
                            if (path is not null)
                            {
                                staged.Add(path);
                            }
                        });
                        break;
                    case "buildSecrets":
                        ReadArray(file, field, property.Value, errors, (item, itemField) =>
                        {
                            if (item.ValueKind != JsonValueKind.String)
                            {
                                errors.Add(new ConfigError(file, itemField, "must be a string"));
                            }
                            else if (!SecretName().IsMatch(item.GetString()!))
                            {
                                errors.Add(new ConfigError(file, itemField, "must be an environment variable name (letters, digits, '_', not starting with a digit)"));
                            }
                            else
                            {
                                secrets.Add(item.GetString()!);
                            }
                        });
                        break;
                    default:
                        errors.Add(new ConfigError(file, field, "is not a known field (dockerfile, context, stagedFiles, buildSecrets)"));
                        break;
                }
            }

            if (dockerfile is null && !errors.Exists(e => e.Field == prefix + ".dockerfile"))
            {
                errors.Add(new ConfigError(file, prefix + ".dockerfile", "is required"));
            }

            if (errors.Count > 0)
            {
                return new ImageConfigResult(null, source, errors);
            }

            return new ImageConfigResult(new ImageConfig(dockerfile!, context, [.. staged], [.. secrets]), source, []);
        }
    }

    private static ImageConfigResult Fail(string file, string field, string reason) =>
        new(null, null, [new ConfigError(file, field, reason)]);

    private static string? ReadPath(string file, string field, JsonElement value, List<ConfigError> errors, bool allowRoot)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new ConfigError(file, field, "must be a string"));
            return null;
        }

        var normalized = RepoPath.Normalize(value.GetString()!, out var reason);
        if (normalized is null)
        {
            errors.Add(new ConfigError(file, field, reason!));
            return null;
        }

        if (!allowRoot && normalized == ".")
        {
            errors.Add(new ConfigError(file, field, "must name a file"));
            return null;
        }

        return normalized;
    }

    private static void ReadArray(string file, string field, JsonElement value, List<ConfigError> errors, Action<JsonElement, string> item)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new ConfigError(file, field, "must be an array"));
            return;
        }

        var index = 0;
        foreach (var element in value.EnumerateArray())
        {
            item(element, $"{field}[{index}]");
            index++;
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex SecretName();
}
