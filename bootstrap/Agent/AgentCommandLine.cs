using Whim.Bootstrap.Configuration;

namespace Whim.Bootstrap.Agent;

/// <summary>How to start the agent: the program and its arguments.</summary>
internal sealed record AgentCommand(string FileName, IReadOnlyList<string> Arguments);

/// <summary>Builds the agent's command lines from the provider and the merged settings (SPEC §2.6, §9).</summary>
internal static class AgentCommandLine
{
    /// <summary>
    /// Claude Code in print mode reading user messages as stream-json lines on stdin, so one long-running process takes
    /// the task prompt and every later prompt; <paramref name="continueSession"/> resumes the latest conversation (a
    /// restarted bootstrap or agent).
    /// </summary>
    public static AgentCommand Claude(EffectiveConfig config, string mcpConfigPath, bool continueSession)
    {
        ArgumentNullException.ThrowIfNull(config);
        // ~/.mcp.json is only found from the home folder and below; the agent works in /app, so name it explicitly.
        var args = new List<string> { "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--mcp-config", mcpConfigPath };
        if (continueSession)
        {
            args.Add("--continue");
        }

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

    /// <summary>One <c>codex exec</c> turn: the first prompt starts the session, later ones <c>resume --last</c> it.</summary>
    public static AgentCommand Codex(string prompt, EffectiveConfig config, string appDirectory, bool resume)
    {
        ArgumentNullException.ThrowIfNull(config);
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

        if (resume)
        {
            args.AddRange(["resume", "--last"]);
        }

        args.Add(prompt);
        return new AgentCommand("codex", args);
    }
}
