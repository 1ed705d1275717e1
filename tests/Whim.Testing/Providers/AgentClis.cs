namespace Whim.Testing.Providers;

/// <summary>
/// The real agent CLIs, unmodified, installed by <c>scripts/deps/genproxy.sh</c> into <c>tools/node</c>, and how a
/// test runs them against a generation proxy in front of <see cref="ProviderStandIn"/>.
/// </summary>
public static class AgentClis
{
    /// <summary>The installed executable <paramref name="name"/> (<c>claude</c>, <c>codex</c>); throws naming the install script when missing.</summary>
    public static string Tool(string name)
    {
        var path = Path.Join(RepoLayout.Root, "tools", "node", "node_modules", ".bin", name);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{name} is not installed at {path}; run scripts/deps/genproxy.sh");
        }

        return path;
    }

    /// <summary>
    /// Claude Code with <c>HOME</c> = <paramref name="home"/> (its sessions land in <c>$HOME/.claude/projects</c>), run
    /// in that folder, talking to the proxy at <paramref name="proxy"/> with the placeholder key, no other traffic.
    /// </summary>
    public static ProcessSpec ClaudeCode(string home, Uri proxy, params string[] args) =>
        new(Tool("claude"), args)
        {
            WorkingDirectory = home,
            Environment = new Dictionary<string, string?>
            {
                ["HOME"] = home,
                ["ANTHROPIC_BASE_URL"] = proxy.ToString().TrimEnd('/'),
                ["ANTHROPIC_API_KEY"] = GenerationProxySettings.Placeholder,
                ["ANTHROPIC_AUTH_TOKEN"] = null,
                ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
                ["DISABLE_AUTOUPDATER"] = "1",
                ["DISABLE_TELEMETRY"] = "1",
                ["CI"] = "1",
            },
        };
}
