namespace Whim.PortMonitor.Scanning;

/// <summary>One process on the way from a socket's owner up to its ancestors: name and argument vector.</summary>
internal sealed record ProcessInfo(int Pid, int ParentPid, string Comm, IReadOnlyList<string> Argv);

/// <summary>
/// Names the command behind a listening process the way a person started it. A dev server is usually a
/// <c>node</c> or <c>python</c> process several wrappers below what was typed (<c>npm run dev</c> → <c>sh -c vite</c>
/// → <c>node …/vite</c>), so this climbs through wrappers (shells running <c>-c</c>, package runners) and prefers
/// the package runner's command line. Pure: it sees only the chain it is given.
/// </summary>
internal static class CommandNamer
{
    private const int MaxClimb = 6;

    private static readonly HashSet<string> s_runners = new(StringComparer.Ordinal)
    {
        "npm", "npx", "pnpm", "pnpx", "yarn", "bun", "bunx", "deno", "uv", "poetry", "pipenv",
    };

    // Build tools count as the runner only when they run something ("dotnet run", "cargo watch"), not as any parent.
    private static readonly HashSet<string> s_buildTools = new(StringComparer.Ordinal) { "dotnet", "cargo", "go" };

    private static readonly HashSet<string> s_shells = new(StringComparer.Ordinal) { "sh", "bash", "dash", "zsh", "ash", "fish" };

    private static readonly HashSet<string> s_runnerScripts = new(StringComparer.Ordinal)
    {
        "npm", "npm-cli.js", "npx", "npx-cli.js", "yarn", "yarn.js", "yarn.cjs", "pnpm", "pnpm.cjs", "pnpm.js",
    };

    /// <summary>The display command for <paramref name="chain"/> (owner first, then its parent, and so on).</summary>
    public static string Name(IReadOnlyList<ProcessInfo> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Count == 0)
        {
            return string.Empty;
        }

        for (var i = 1; i < chain.Count && i <= MaxClimb; i++)
        {
            var ancestor = chain[i];
            var runner = RunnerName(ancestor);
            if (runner is not null)
            {
                return Display(ancestor.Argv, runner);
            }

            if (!IsWrapper(ancestor))
            {
                break;
            }
        }

        var owner = chain[0];
        return owner.Argv.Count == 0 ? owner.Comm : Display(owner.Argv, null);
    }

    private static bool IsWrapper(ProcessInfo process)
    {
        if (process.Argv.Count == 0)
        {
            return false;
        }

        var program = BaseName(process.Argv[0]);
        return (s_shells.Contains(program) && process.Argv.Count >= 2 && process.Argv[1] == "-c")
            || program is "node" or "nodejs" or "env" or "timeout" or "nohup";
    }

    // "npm run dev" either as its own argv[0] (npm sets its process title) or as node running the npm script.
    private static string? RunnerName(ProcessInfo process)
    {
        if (process.Argv.Count == 0)
        {
            return s_runners.Contains(process.Comm) ? process.Comm : null;
        }

        var program = BaseName(process.Argv[0]);
        var first = program.Split(' ', 2)[0];
        if (s_runners.Contains(first))
        {
            return first;
        }

        if (s_buildTools.Contains(first) && process.Argv.Count >= 2 && process.Argv[1] is "run" or "watch")
        {
            return first;
        }

        if (program is "node" or "nodejs" && process.Argv.Count >= 2 && s_runnerScripts.Contains(BaseName(process.Argv[1])))
        {
            var script = BaseName(process.Argv[1]);
            return script.Split('-', '.')[0];
        }

        return null;
    }

    private static string Display(IReadOnlyList<string> argv, string? runner)
    {
        var parts = new List<string>(argv.Count);
        var start = 0;
        if (runner is not null && argv.Count >= 2 && BaseName(argv[0]) is "node" or "nodejs" && s_runnerScripts.Contains(BaseName(argv[1])))
        {
            parts.Add(runner);
            start = 2;
        }
        else
        {
            parts.Add(BaseName(argv[0]));
            start = 1;
        }

        for (var i = start; i < argv.Count; i++)
        {
            var arg = argv[i];

            // node /app/node_modules/.bin/vite → node vite: the script name says more than its path.
            if (i == 1 && arg.Contains("node_modules/", StringComparison.Ordinal))
            {
                arg = BaseName(arg);
            }

            parts.Add(arg.Contains(' ', StringComparison.Ordinal) ? $"\"{arg}\"" : arg);
        }

        return string.Join(' ', parts);
    }

    private static string BaseName(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? path : path[(slash + 1)..];
    }
}
