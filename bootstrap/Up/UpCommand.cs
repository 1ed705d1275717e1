using System.CommandLine;
using Whim.Bootstrap.Supervision;

namespace Whim.Bootstrap.Up;

/// <summary><c>up</c>: the control API on SQLite and the whole runtime on this machine, in a scratch root, until Ctrl-C.</summary>
internal sealed class UpCommand : Command
{
    private readonly Option<string?> _repoRoot = new("--repo-root") { Description = "The repository checkout, to find build outputs (default: the current folder)." };
    private readonly Option<string?> _root = new("--root") { Description = "Scratch folder used as WHIM_ROOT (default: <repo>/.whim-up)." };
    private readonly Option<string?> _binDir = new("--bin-dir") { Description = "Folder with published service binaries (AOT executables or dlls); takes precedence over build outputs." };
    private readonly Option<int> _portOffset = new("--port-offset") { Description = "Added to every platform port (3001, 5080, 8080, 8081, 8082) when those are taken.", DefaultValueFactory = _ => 0 };

    public UpCommand()
        : base("up", "Start the control API and the runtime services locally; Ctrl-C stops everything.")
    {
        Options.Add(_repoRoot);
        Options.Add(_root);
        Options.Add(_binDir);
        Options.Add(_portOffset);
        SetAction(async (parse, cancellationToken) =>
        {
            using var signal = new ShutdownSignal(cancellationToken);
            var repo = Path.GetFullPath(parse.GetValue(_repoRoot) ?? Environment.CurrentDirectory);
            var settings = new UpSettings(
                repo,
                Path.GetFullPath(parse.GetValue(_root) ?? Path.Join(repo, ".whim-up")),
                parse.GetValue(_binDir) is { } bin ? Path.GetFullPath(bin) : null,
                parse.GetValue(_portOffset));
            return await new UpRunner(settings, Console.Out).RunAsync(signal.Token);
        });
    }
}

/// <summary>What <c>up</c> was asked to do.</summary>
internal sealed record UpSettings(string RepoRoot, string Root, string? BinDirectory, int PortOffset);
