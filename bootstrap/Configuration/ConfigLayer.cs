namespace Whim.Bootstrap.Configuration;

/// <summary>The three configuration layers, from general to specific.</summary>
internal static class LayerNames
{
    public const string Workspace = "workspace";
    public const string User = "user";
    public const string WorkspaceUser = "workspace_user";

    /// <summary>Concatenation and env-var order: general first, so the most specific text comes last and wins.</summary>
    public static readonly IReadOnlyList<string> InOrder = [Workspace, User, WorkspaceUser];

    /// <summary>Default source ranking for name clashes (skills, MCP servers): the first listed wins.</summary>
    public static readonly IReadOnlyList<string> DefaultSourceOrder = [WorkspaceUser, User, Workspace];
}

/// <summary>One layer as parsed: every field optional; fields that failed to parse are absent and reported.</summary>
internal sealed record ConfigLayer(string Name)
{
    public string? Instructions { get; init; }

    public IReadOnlyList<SkillSpec> Skills { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, McpServerSpec>> McpServers { get; init; } = [];

    public IReadOnlyList<string> Plugins { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = [];

    public string? InitScript { get; init; }

    public string? Bashrc { get; init; }

    public string? Model { get; init; }

    public string? PermissionMode { get; init; }

    public string? ReasoningEffort { get; init; }

    public string? AutoSleep { get; init; }
}

/// <summary>A skill as the user gave it: a Markdown body and/or support files (relative path → text).</summary>
internal sealed record SkillSpec
{
    public string? Name { get; init; }

    public string? Description { get; init; }

    public string? Content { get; init; }

    public Dictionary<string, string>? Files { get; init; }
}

/// <summary>An MCP server: <c>stdio</c> (command, args, env) or <c>http</c> (url, headers).</summary>
internal sealed record McpServerSpec
{
    public string? Type { get; init; }

    public string? Command { get; init; }

    public List<string>? Args { get; init; }

    public Dictionary<string, string>? Env { get; init; }

    public string? Url { get; init; }

    public Dictionary<string, string>? Headers { get; init; }

    public bool IsHttp => string.Equals(Type, "http", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A configuration problem: which layer, which field, and why. The rest of the configuration still applies.</summary>
internal sealed record ConfigError(string Layer, string Field, string Reason)
{
    public override string ToString() => $"layer '{Layer}', field '{Field}': {Reason}";
}

/// <summary>The merged configuration of one task.</summary>
internal sealed record EffectiveConfig
{
    public string Instructions { get; init; } = "";

    public IReadOnlyList<SkillSpec> Skills { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, McpServerSpec>> McpServers { get; init; } = [];

    public IReadOnlyList<string> Plugins { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = [];

    public string InitScript { get; init; } = "";

    public string Bashrc { get; init; } = "";

    public string? Model { get; init; }

    public string? PermissionMode { get; init; }

    public string? ReasoningEffort { get; init; }

    public string? AutoSleep { get; init; }
}
