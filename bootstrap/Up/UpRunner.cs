using System.Diagnostics;
using Whim.Bootstrap.Supervision;

namespace Whim.Bootstrap.Up;

/// <summary>
/// Runs <c>up</c>: starts the control API, then the runtime services in the platform's order, each gated on its
/// health endpoint; prints where everything is; on cancellation stops them in reverse order.
/// </summary>
internal sealed class UpRunner(UpSettings settings, TextWriter output)
{
    private static readonly TimeSpan s_startDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(10);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.Root);
        var control = ServiceDefinition.Control(settings.PortOffset);
        var environment = new Dictionary<string, string?>
        {
            ["WHIM_ROOT"] = settings.Root,
            ["WHIM_API_URL"] = control.Url.ToString().TrimEnd('/'),
            ["WHIM_TASK_ID"] = "local",
            ["WHIM_WORKSPACE_ID"] = "local",
        };

        var started = new List<ChildProcess>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            await output.WriteLineAsync($"whim up: root {settings.Root}");
            foreach (var service in new[] { control }.Concat(ServiceDefinition.Runtime(settings.PortOffset)))
            {
                var command = ServiceCommand.Resolve(service, settings.BinDirectory, settings.RepoRoot);
                var clock = Stopwatch.StartNew();
                var child = ChildProcess.Start(service, command, environment, Path.Join(settings.Root, "whim", "logs", service.Name + ".out"));
                started.Add(child);
                if (!await Readiness.WaitAsync(http, child, "healthz", s_startDeadline, cancellationToken))
                {
                    await output.WriteLineAsync($"  ✗ {service.Name,-17} did not answer /healthz (exit: {(child.HasExited ? child.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "still running")}); see {settings.Root}/whim/logs/{service.Name}.out");
                    return ExitCodes.ServiceFailedToStart;
                }

                var ready = await ReadinessText(http, service, cancellationToken);
                await output.WriteLineAsync($"  ✓ {service.Name,-17} {service.Url}  up in {clock.ElapsedMilliseconds} ms, {ready}");
            }

            await output.WriteLineAsync($"Previews: http://<port>.localhost:{8080 + settings.PortOffset}/  Agent state: http://127.0.0.1:{3001 + settings.PortOffset}/whim/state");
            await output.WriteLineAsync("Everything is running. Ctrl-C stops it.");
            await WatchAsync(started, cancellationToken);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (FileNotFoundException e)
        {
            await output.WriteLineAsync("whim up: " + e.Message + " (build first: ./whim up builds everything)");
            return ExitCodes.BadConfiguration;
        }
        finally
        {
            for (var i = started.Count - 1; i >= 0; i--)
            {
                await started[i].StopAsync(s_stopGrace);
                await output.WriteLineAsync($"  stopped {started[i].Service.Name}");
                started[i].Dispose();
            }
        }
    }

    private static async Task<string> ReadinessText(HttpClient http, ServiceDefinition service, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(service.Url, "readyz"), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return "ready";
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return "not ready: " + (body.Length > 200 ? body[..200] : body);
        }
        catch (HttpRequestException e)
        {
            return "readiness unknown: " + e.Message;
        }
    }

    // Until the supervisor arrives, a service that dies ends `up` so nobody keeps using half a runtime.
    private async Task WatchAsync(List<ChildProcess> children, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            foreach (var child in children)
            {
                if (child.HasExited)
                {
                    await output.WriteLineAsync($"whim up: {child.Service.Name} exited with {child.ExitCode}; stopping the rest.");
                    return;
                }
            }
        }
    }
}
