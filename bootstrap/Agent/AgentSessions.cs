using System.Diagnostics;
using Whim.Bootstrap.Supervision;
using System.Text;
using System.Text.Json;

namespace Whim.Bootstrap.Agent;

/// <summary>The running agent: where prompts are written, and its current process.</summary>
internal interface IAgentSession : IAgentInput, IAsyncDisposable
{
    /// <summary>The agent's current process id, if one runs.</summary>
    int? Pid { get; }
}

/// <summary>Starts agent processes in the app folder with the agent's environment, output appended to one log.</summary>
internal sealed class AgentLauncher(string workingDirectory, IReadOnlyDictionary<string, string?> environment, string logFile)
{
    public Process Start(AgentCommand command)
    {
        var info = new ProcessStartInfo(command.FileName)
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        ProcessEnvironment.Apply(info, environment);

        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var sink = TextWriter.Synchronized(new StreamWriter(logFile, append: true) { AutoFlush = true });
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { sink.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { sink.WriteLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static async Task StopAsync(Process? process)
    {
        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}

/// <summary>
/// Claude Code as one long-running <c>claude -p --input-format stream-json</c> process: every prompt is one user
/// message line on its stdin. If the process has gone, the next prompt starts it again with <c>--continue</c>.
/// </summary>
internal sealed class ClaudeStreamSession(AgentLauncher launcher, Func<bool, AgentCommand> command, bool resume) : IAgentSession
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Process? _process;
    private bool _resume = resume;

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Starts the process now so it is ready when the first prompt comes.</summary>
    public void Start() => EnsureRunning();

    public async Task SendAsync(string prompt, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var process = EnsureRunning();
            var line = UserMessage(prompt);
            await process.StandardInput.BaseStream.WriteAsync(line, cancellationToken);
            await process.StandardInput.BaseStream.FlushAsync(cancellationToken);
            _resume = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One stream-json user message: <c>{"type":"user","message":{"role":"user","content":[{"type":"text","text":...}]}}</c> and a newline.</summary>
    public static byte[] UserMessage(string prompt)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "user");
            json.WriteStartObject("message");
            json.WriteString("role", "user");
            json.WriteStartArray("content");
            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", prompt);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        buffer.Write(s_utf8.GetBytes("\n"));
        return buffer.ToArray();
    }

    private Process EnsureRunning()
    {
        if (_process is { HasExited: false } running)
        {
            return running;
        }

        _process?.Dispose();
        _process = launcher.Start(command(_resume));
        return _process;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.StandardInput.Close();
        }

        await AgentLauncher.StopAsync(_process);
        _gate.Dispose();
    }
}

/// <summary>
/// Codex CLI as one <c>codex exec</c> per prompt: the first starts the session, later ones <c>resume --last</c> it. A
/// prompt waits until the previous turn's process has exited; it counts as written once its process started.
/// </summary>
internal sealed class CodexExecSession(AgentLauncher launcher, Func<string, bool, AgentCommand> command, bool resume) : IAgentSession
{
    private Process? _process;
    private bool _resume = resume;

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public async Task SendAsync(string prompt, CancellationToken cancellationToken)
    {
        if (_process is { } previous)
        {
            await previous.WaitForExitAsync(cancellationToken);
            previous.Dispose();
        }

        _process = launcher.Start(command(prompt, _resume));
        _process.StandardInput.Close();
        _resume = true;
    }

    public async ValueTask DisposeAsync() => await AgentLauncher.StopAsync(_process);
}
