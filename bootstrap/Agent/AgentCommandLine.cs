using Whim.Bootstrap.Configuration;

namespace Whim.Bootstrap.Agent;

/// <summary>How to start the agent: the program and its arguments.</summary>
internal sealed record AgentCommand(string FileName, IReadOnlyList<string> Arguments);

/// <summary>Builds the agent's command line from the provider, the prompt and the merged settings (SPEC §2.6, §9).</summary>
internal static class AgentCommandLine
{
    public static AgentCommand Build(string provider, string prompt, EffectiveConfig config, string mcpConfigPath, string appDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        return provider switch
        {
            "claude" => Claude(prompt, config, mcpConfigPath),
            "codex" => Codex(prompt, config, appDirectory),
            _ => throw new ArgumentException($"unknown provider '{provider}'", nameof(provider)),
        };
    }

    private static AgentCommand Claude(string prompt, EffectiveConfig config, string mcpConfigPath)
    {
        // ~/.mcp.json is only found from the home folder and below; the agent works in /app, so name it explicitly.
        var args = new List<string> { "-p", prompt, "--mcp-config", mcpConfigPath };
        if (config.PermissionMode is { } mode)
        {
            args.AddRange(["--permission-mode", mode]);
        }

        if (config.Model is { } model)
        {
            args.AddRange(["--model", model]);
        }

        if (config.ReasoningEffort is { } effort)
        {
            args.AddRange(["--effort", effort.ToLowerInvariant()]);
        }

        return new AgentCommand("claude", args);
    }

    private static AgentCommand Codex(string prompt, EffectiveConfig config, string appDirectory)
    {
        var args = new List<string> { "exec", "--cd", appDirectory, "--skip-git-repo-check" };
        switch (config.PermissionMode)
        {
            case "bypassPermissions":
                args.Add("--dangerously-bypass-approvals-and-sandbox");
                break;
            case "acceptEdits":
                args.Add("--full-auto");
                break;
            case "plan":
                args.AddRange(["--sandbox", "read-only"]);
                break;
        }

        if (config.Model is { } model)
        {
            args.AddRange(["--model", model]);
        }

        if (config.ReasoningEffort is { } effort)
        {
            args.AddRange(["-c", $"model_reasoning_effort=\"{effort.ToLowerInvariant()}\""]);
        }

        args.Add(prompt);
        return new AgentCommand("codex", args);
    }
}
