using System.Diagnostics;
using System.Text;

namespace Whim.Control.Images.Machines;

/// <summary>The outcome of running a command-line tool.</summary>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs podman/buildah: arguments as a list (no shell), output captured or streamed line by line, killed on cancel.</summary>
internal static class ToolProcess
{
    public static async Task<ToolResult> RunAsync(
        string file,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        Action<string>? onLine,
        CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var gate = new Lock();
        process.OutputDataReceived += (_, e) => Collect(e.Data, stdout);
        process.ErrorDataReceived += (_, e) => Collect(e.Data, stderr);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new MachineProviderException($"cannot run '{file}': {e.Message} (install it with scripts/deps/images.sh)", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        lock (gate)
        {
            return new ToolResult(process.ExitCode, stdout.ToString(), stderr.ToString());
        }

        void Collect(string? line, StringBuilder into)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                into.Append(line).Append('\n');
            }

            onLine?.Invoke(line);
        }
    }
}
