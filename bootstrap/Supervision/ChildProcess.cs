using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Whim.Bootstrap.Supervision;

/// <summary>A service process bootstrap started: its output goes to a file, and it is stopped with SIGTERM, then killed.</summary>
internal sealed partial class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(ServiceDefinition service, Process process)
    {
        Service = service;
        _process = process;
    }

    public ServiceDefinition Service { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Completes when the process has exited.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>
    /// Starts <paramref name="command"/> with bootstrap's environment changed by <paramref name="environment"/> (a null
    /// value removes the variable), stdout and stderr appended to <paramref name="outputFile"/>.
    /// </summary>
    public static ChildProcess Start(ServiceDefinition service, ServiceCommand command, IReadOnlyDictionary<string, string?> environment, string outputFile)
    {
        var info = new ProcessStartInfo(command.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{service.Port}");
        ProcessEnvironment.Apply(info, environment);

        Directory.CreateDirectory(Path.GetDirectoryName(outputFile)!);
        var sink = TextWriter.Synchronized(new StreamWriter(outputFile, append: true) { AutoFlush = true });
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(sink, e.Data);
        process.ErrorDataReceived += (_, e) => Write(sink, e.Data);
        process.Exited += (_, _) => sink.Flush();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(service, process);
    }

    /// <summary>Asks the process to stop (SIGTERM) and kills it if it is still running after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = Kill(_process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static void Write(TextWriter sink, string? line)
    {
        if (line is not null)
        {
            sink.WriteLine(line);
        }
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
