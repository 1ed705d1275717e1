using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Whim.Testing;

/// <summary>
/// A child process under test: output captured line by line, signals, exit waits with deadlines, and on dispose the
/// whole process tree is killed so no test leaves anything running.
/// </summary>
public sealed partial class RunningProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RunningProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Standard input, when <see cref="ProcessSpec.RedirectInput"/> was set.</summary>
    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>Lines written to stdout so far.</summary>
    public IReadOnlyList<string> Stdout => [.. _stdout];

    /// <summary>Lines written to stderr so far.</summary>
    public IReadOnlyList<string> Stderr => [.. _stderr];

    /// <summary>Everything written so far, stdout then stderr, for failure messages.</summary>
    public string Output => string.Join('\n', _stdout) + "\n--- stderr ---\n" + string.Join('\n', _stderr);

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code (only after exit).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts a process.</summary>
    public static RunningProcess Start(ProcessSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var info = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = spec.RedirectInput,
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory ?? Environment.CurrentDirectory,
            StandardOutputEncoding = spec.RawStdout ? null : Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in spec.Arguments)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in spec.Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var running = new RunningProcess(process);
        if (!spec.RawStdout)
        {
            process.OutputDataReceived += (_, e) => running.OnLine(e.Data, running._stdout, running._stdoutClosed);
        }
        else
        {
            running._stdoutClosed.TrySetResult();
        }

        process.ErrorDataReceived += (_, e) => running.OnLine(e.Data, running._stderr, running._stderrClosed);
        process.Start();
        if (!spec.RawStdout)
        {
            process.BeginOutputReadLine();
        }

        process.BeginErrorReadLine();
        return running;
    }

    /// <summary>The raw stdout stream, when <see cref="ProcessSpec.RawStdout"/> was set (protocols such as MCP over stdio).</summary>
    public StreamReader StandardOutput => _process.StandardOutput;

    /// <summary>Waits until a line on stdout or stderr matches and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan? timeout = null)
    {
        string? found = null;
        await Eventually.UntilAsync(
            () =>
            {
                found = _stdout.Concat(_stderr).FirstOrDefault(match);
                if (found is null && _process.HasExited && _stdoutClosed.Task.IsCompleted && _stderrClosed.Task.IsCompleted)
                {
                    throw new InvalidOperationException($"process exited with {_process.ExitCode} before {what}:\n{Output}");
                }

                return found is not null;
            },
            what,
            timeout);
        return found!;
    }

    /// <summary>Sends a POSIX signal (SIGTERM = 15, SIGKILL = 9, SIGINT = 2).</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for exit and returns the exit code; throws when the deadline passes.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Eventually.DefaultTimeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"process {_process.Id} did not exit in time:\n{Output}");
        }

        await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (TimeoutException)
        {
        }

        _process.Dispose();
    }

    private void OnLine(string? line, ConcurrentQueue<string> sink, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
        }
        else
        {
            sink.Enqueue(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>What to start.</summary>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Environment changes; a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>The working directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Whether stdin is redirected.</summary>
    public bool RedirectInput { get; init; }

    /// <summary>Leave stdout as a raw stream instead of capturing lines.</summary>
    public bool RawStdout { get; init; }
}
