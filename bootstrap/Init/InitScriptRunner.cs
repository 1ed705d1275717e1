using System.Diagnostics;
using Whim.Bootstrap.Supervision;
using System.Globalization;

namespace Whim.Bootstrap.Init;

/// <summary>The outcome of the init step.</summary>
internal sealed record InitOutcome(bool Ok, string Detail);

/// <summary>
/// Runs <c>/whim/init.sh</c> once per container: with bash, in the app folder, under a timeout, its output streamed
/// (prefixed) and captured to <c>init.log</c>. A marker file written when it finishes (success or not) keeps a restarted
/// bootstrap from running it again; a run cut short by a crash has no marker and runs again.
/// </summary>
internal sealed class InitScriptRunner(string scriptPath, string markerPath, string logPath, string workingDirectory, TextWriter output)
{
    public async Task<InitOutcome> RunAsync(IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (File.Exists(markerPath))
        {
            return new InitOutcome(true, "already ran: " + (await File.ReadAllTextAsync(markerPath, cancellationToken)).Trim());
        }

        if (!File.Exists(scriptPath))
        {
            return new InitOutcome(true, "no init script");
        }

        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add(scriptPath);
        ProcessEnvironment.Apply(info, environment);

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        await using var log = TextWriter.Synchronized(new StreamWriter(logPath, append: true) { AutoFlush = true });
        using var process = new Process { StartInfo = info };
        void Line(string? line)
        {
            if (line is not null)
            {
                log.WriteLine(line);
                output.WriteLine("    init | " + line);
            }
        }

        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        string result;
        bool ok;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            process.WaitForExit(); // drains the asynchronous output readers
            ok = process.ExitCode == 0;
            result = ok ? "succeeded" : $"failed with exit code {process.ExitCode}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            ok = false;
            result = $"timed out after {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s and was killed";
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(markerPath)!);
        await File.WriteAllTextAsync(markerPath, $"{result} at {DateTimeOffset.UtcNow:O}\n", CancellationToken.None);
        return new InitOutcome(ok, result + "; output in " + logPath);
    }
}
