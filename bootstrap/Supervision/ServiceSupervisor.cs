using System.Diagnostics;

namespace Whim.Bootstrap.Supervision;

/// <summary>
/// Launches services in order and waits for their readiness paths together; restarts any that exits with <see cref="RestartBackoff"/>,
/// counting crashes in the status file; stops them in reverse order.
/// </summary>
internal sealed class ServiceSupervisor(
    IReadOnlyList<(ServiceDefinition Service, ServiceCommand Command)> services,
    Func<ServiceDefinition, IReadOnlyDictionary<string, string?>> environment,
    string logDirectory,
    StatusFile status,
    TextWriter output,
    TimeProvider time) : IAsyncDisposable
{
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly List<Supervised> _running = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _outputGate = new(1, 1);

    /// <summary>The readiness deadline for a first start.</summary>
    public TimeSpan StartDeadline { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Launches every service in the platform's order without waiting for the one before to be ready (none needs
    /// another: they talk to the control API, which retries), then waits for all of them at once; false (with a
    /// message per failing service) when one does not become ready.
    /// </summary>
    public async Task<bool> StartAllAsync(CancellationToken cancellationToken)
    {
        status.Update(s => s with { Phase = "starting-services", Services = [.. services.Select(x => new ServiceStatus { Name = x.Service.Name, Port = x.Service.Port })] });
        var total = Stopwatch.StartNew();
        foreach (var (service, command) in services)
        {
            var supervised = new Supervised(service, command);
            _running.Add(supervised);
            Launch(supervised);
        }

        var ready = await Task.WhenAll(_running.Select(s => AwaitFirstReadinessAsync(s, total, cancellationToken)));
        if (ready.Contains(false))
        {
            return false;
        }

        status.Update(s => s with { Phase = "running" });
        await WriteLineAsync($"  ✓ {services.Count} services up and ready after {total.ElapsedMilliseconds} ms");
        return true;
    }

    /// <summary>Stops the services in reverse start order.</summary>
    public async Task StopAllAsync()
    {
        await _stopping.CancelAsync();
        status.Update(s => s with { Phase = "stopping" });
        for (var i = _running.Count - 1; i >= 0; i--)
        {
            var supervised = _running[i];
            if (supervised.Watch is { } watch)
            {
                await watch;
            }

            if (supervised.Child is { } child)
            {
                await child.StopAsync(s_stopGrace);
                child.Dispose();
            }

            status.UpdateService(supervised.Service.Name, s => s with { State = "stopped", Pid = null });
            await WriteLineAsync($"  stopped {supervised.Service.Name}");
        }

        _running.Clear();
        status.Update(s => s with { Phase = "stopped" });
    }

    public async ValueTask DisposeAsync()
    {
        if (_running.Count > 0)
        {
            await StopAllAsync();
        }

        _http.Dispose();
        _stopping.Dispose();
        _outputGate.Dispose();
    }

    private async Task<bool> AwaitFirstReadinessAsync(Supervised supervised, Stopwatch clock, CancellationToken cancellationToken)
    {
        var service = supervised.Service;
        if (!await Readiness.WaitAsync(_http, supervised.Child!, "readyz", StartDeadline, cancellationToken))
        {
            var child = supervised.Child!;
            await WriteLineAsync($"  ✗ {service.Name,-17} not ready on /readyz (exit: {(child.HasExited ? child.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "still running")}); see {OutputFile(service)}");
            status.UpdateService(service.Name, s => s with { State = "failed" });
            return false;
        }

        status.UpdateService(service.Name, s => s with { State = "ready" });
        await WriteLineAsync($"  ✓ {service.Name,-17} {service.Url} ready in {clock.ElapsedMilliseconds} ms");
        supervised.Watch = WatchAsync(supervised);
        return true;
    }

    // The services' readiness loops and watchers write concurrently; a TextWriter is not thread-safe.
    private async Task WriteLineAsync(string line)
    {
        await _outputGate.WaitAsync();
        try
        {
            await output.WriteLineAsync(line);
        }
        finally
        {
            _outputGate.Release();
        }
    }

    private void Launch(Supervised supervised)
    {
        supervised.Child = ChildProcess.Start(supervised.Service, supervised.Command, environment(supervised.Service), OutputFile(supervised.Service));
        supervised.StartedAt = time.GetTimestamp();
        status.UpdateService(supervised.Service.Name, s => s with { Pid = supervised.Child.Id, State = "starting" });
    }

    private string OutputFile(ServiceDefinition service) => Path.Join(logDirectory, service.Name + ".out");

    // One loop per service: wait for it to exit, count the crash, back off, start it again, and mark it ready.
    private async Task WatchAsync(Supervised supervised)
    {
        var token = _stopping.Token;
        var consecutive = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var child = supervised.Child!;
                await child.WaitForExitAsync(token);
                var exitedAt = time.GetTimestamp();
                var exitCode = child.ExitCode;
                consecutive = RestartBackoff.Next(consecutive, time.GetElapsedTime(supervised.StartedAt));
                var delay = RestartBackoff.Delay(consecutive);
                status.UpdateService(supervised.Service.Name, s => s with { State = "restarting", Crashes = s.Crashes + 1, LastExitCode = exitCode, LastCrashAt = time.GetUtcNow(), Pid = null });
                await WriteLineAsync($"  ! {supervised.Service.Name} exited with {exitCode}; restarting in {delay.TotalMilliseconds:0} ms");
                child.Dispose();
                supervised.Child = null;
                // The backoff counts from the exit, so writing the status and the log line does not add to it.
                var remaining = delay - time.GetElapsedTime(exitedAt);
                if (remaining > TimeSpan.Zero)
                {
                    await Task.Delay(remaining, time, token);
                }

                Launch(supervised);
                if (await Readiness.WaitAsync(_http, supervised.Child!, "readyz", StartDeadline, token))
                {
                    status.UpdateService(supervised.Service.Name, s => s with { State = "ready" });
                    await WriteLineAsync($"  ✓ {supervised.Service.Name} ready again");
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private sealed class Supervised(ServiceDefinition service, ServiceCommand command)
    {
        public ServiceDefinition Service { get; } = service;

        public ServiceCommand Command { get; } = command;

        public ChildProcess? Child { get; set; }

        public long StartedAt { get; set; }

        public Task? Watch { get; set; }
    }
}
