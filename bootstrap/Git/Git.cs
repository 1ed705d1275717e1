using System.Diagnostics;

namespace Whim.Bootstrap.Git;

/// <summary>Runs the real <c>git</c> with an argument list (no shell), never prompting.</summary>
internal static class Git
{
    public static async Task<string> RunAsync(string? workingDirectory, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool allowFailure = false)
    {
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = Process.Start(info) ?? throw new GitException("could not start git");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 && !allowFailure)
        {
            throw new GitException($"git {arguments.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('='))} failed ({process.ExitCode}): {(await stderr).Trim()}");
        }

        return process.ExitCode == 0 ? (await stdout).Trim() : "";
    }
}

internal sealed class GitException(string message) : Exception(message);
