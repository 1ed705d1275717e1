using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Whim.Control.Images.Machines;

/// <summary>
/// Runs and owns <c>podman system service --time=0 unix://&lt;Images:PodmanSocket&gt;</c> when
/// <see cref="ImagesOptions.PodmanService"/> is on: started (and its socket answering) before the reserve reconciler,
/// killed at shutdown. Off, the socket is someone else's (or absent, and the provider uses the CLI).
/// </summary>
public sealed partial class PodmanServiceHost(IOptions<ImagesOptions> options, PodmanMachineProvider podman, ILogger<PodmanServiceHost> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private Process? _process;

    /// <summary>The running service's process id (null when not started).</summary>
    public int? ProcessId => _process?.Id;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.PodmanService)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(o.PodmanSocket))!);
        File.Delete(o.PodmanSocket); // a stale socket of an earlier run would refuse the bind
        var info = new ProcessStartInfo(o.Podman) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])[.. podman.GlobalArguments(), "system", "service", "--time", "0", "unix://" + o.PodmanSocket])
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in podman.Environment() ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        try
        {
            _process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new MachineProviderException($"cannot run '{o.Podman}': {e.Message} (install it with scripts/deps/images.sh)", e);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Log.ServiceOutput(logger, line);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // podman gives no readiness signal: the socket answering a connect is the signal, polled until a deadline.
        var started = Stopwatch.StartNew();
        while (!await AnswersAsync(o.PodmanSocket, cancellationToken))
        {
            if (_process.HasExited || started.Elapsed > s_startTimeout)
            {
                throw new MachineProviderException($"podman system service did not open {o.PodmanSocket} (exited: {_process.HasExited})");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25), cancellationToken);
        }

        Log.Started(logger, _process.Id, o.PodmanSocket, started.ElapsedMilliseconds);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(cancellationToken);
        }

        File.Delete(options.Value.PodmanSocket);
    }

    public void Dispose() => _process?.Dispose();

    private static async Task<bool> AnswersAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 30, EventName = "PodmanServiceStarted", Level = LogLevel.Information, Message = "podman system service {ProcessId} answers on {Socket} after {Milliseconds} ms")]
        public static partial void Started(ILogger logger, int processId, string socket, long milliseconds);

        [LoggerMessage(EventId = 31, EventName = "PodmanServiceOutput", Level = LogLevel.Debug, Message = "podman system service: {Line}")]
        public static partial void ServiceOutput(ILogger logger, string line);
    }
}
