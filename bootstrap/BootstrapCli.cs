using System.CommandLine;
using Whim.Bootstrap.Git;
using Whim.Bootstrap.Start;
using Whim.Bootstrap.Up;

namespace Whim.Bootstrap;

/// <summary>The command line: one class per command, exit codes as named constants.</summary>
public static class BootstrapCli
{
    /// <summary>Parses <paramref name="args"/> and runs the chosen command.</summary>
    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Whim bootstrap: prepares a task container and supervises its runtime (`start`), or runs everything locally (`up`).")
        {
            new StartCommand(),
            new GitCredentialCommand(),
            new UpCommand(),
        };
        // Commands handle SIGINT/SIGTERM themselves (ShutdownSignal) so that they can stop their children in order;
        // System.CommandLine's own handling would return 130 after two seconds with the children still running.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}

/// <summary>The process exit codes of bootstrap.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadConfiguration = 2;
    public const int ServiceFailedToStart = 3;
    public const int Interrupted = 130;
}
