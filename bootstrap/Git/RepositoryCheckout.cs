namespace Whim.Bootstrap.Git;

/// <summary>
/// Puts the repository at the app folder on the task branch <c>whim-&lt;display id&gt;</c>. A folder without a
/// repository is initialised and fetched (the same path serves a fresh container); a baked clone in the image is
/// fetched and reset onto the source branch; a branch that already exists (a restarted container) is kept as it is, so
/// the agent's work survives a bootstrap restart.
/// </summary>
internal sealed class RepositoryCheckout(string appDirectory, string credentialHelper)
{
    /// <summary>The task branch's name.</summary>
    public static string BranchName(string displayId) => "whim-" + displayId.ToLowerInvariant();

    public async Task<string> RunAsync(string repoUrl, string sourceBranch, string displayId, CancellationToken cancellationToken)
    {
        var branch = BranchName(displayId);
        Directory.CreateDirectory(appDirectory);
        var baked = Directory.Exists(Path.Join(appDirectory, ".git"));
        if (!baked)
        {
            await Git.RunAsync(appDirectory, ["init", "-q", "-b", branch], cancellationToken);
        }

        // The token never enters a URL or .git/config: the helper reads its file whenever git asks.
        await Git.RunAsync(appDirectory, ["config", "--replace-all", "credential.helper", credentialHelper], cancellationToken);
        if (await Git.RunAsync(appDirectory, ["remote"], cancellationToken) is var remotes && remotes.Split('\n').Contains("origin"))
        {
            await Git.RunAsync(appDirectory, ["remote", "set-url", "origin", repoUrl], cancellationToken);
        }
        else
        {
            await Git.RunAsync(appDirectory, ["remote", "add", "origin", repoUrl], cancellationToken);
        }

        await Git.RunAsync(appDirectory, ["fetch", "-q", "origin", $"+refs/heads/{sourceBranch}:refs/remotes/origin/{sourceBranch}"], cancellationToken);
        var exists = await Git.RunAsync(appDirectory, ["rev-parse", "--verify", "-q", "refs/heads/" + branch], cancellationToken, allowFailure: true) != "";
        var hasCommits = exists && await Git.RunAsync(appDirectory, ["rev-parse", "--verify", "-q", "HEAD"], cancellationToken, allowFailure: true) != "";
        if (hasCommits)
        {
            await Git.RunAsync(appDirectory, ["checkout", "-q", branch], cancellationToken);
            return $"{branch} kept (already exists)";
        }

        await Git.RunAsync(appDirectory, ["checkout", "-q", "-f", "-B", branch, "origin/" + sourceBranch], cancellationToken);
        await Git.RunAsync(appDirectory, ["branch", "-q", "--unset-upstream"], cancellationToken, allowFailure: true);
        ExcludeInjectedFiles();
        return $"{branch} from origin/{sourceBranch}" + (baked ? " (baked clone fetched)" : "");
    }

    // CLAUDE.md/AGENTS.md are written by bootstrap; keep them out of `git status` unless the repository tracks them.
    private void ExcludeInjectedFiles()
    {
        var exclude = Path.Join(appDirectory, ".git", "info", "exclude");
        Directory.CreateDirectory(Path.GetDirectoryName(exclude)!);
        var text = File.Exists(exclude) ? File.ReadAllText(exclude) : "";
        if (!text.Contains("# whim injected", StringComparison.Ordinal))
        {
            File.AppendAllText(exclude, "# whim injected\n/CLAUDE.md\n/AGENTS.md\n");
        }
    }
}
