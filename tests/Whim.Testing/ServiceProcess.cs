using FluentAssertions;

namespace Whim.Testing;

/// <summary>A built HTTP service started as its own process on a loopback port, with <c>WHIM_ROOT</c> in a temporary folder.</summary>
public sealed class ServiceProcess(RunningProcess process, Uri baseAddress) : LoopbackService(baseAddress)
{
    /// <summary>The exit code of a service that cannot listen on its address (<c>WhimHost.CannotListenExitCode</c>).</summary>
    public const int CannotListenExitCode = 3;

    /// <summary>The process.</summary>
    public RunningProcess Process { get; } = process;

    /// <summary>
    /// Starts the project's built assembly and waits until <c>/healthz</c> answers. The port is reserved and freed
    /// before the service binds it, so another socket may take it in between: a service that says so (exit code 3,
    /// "cannot listen") is started again on another port, up to three times.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(
        string projectFolder,
        string assemblyName,
        string root,
        IReadOnlyDictionary<string, string?>? environment = null,
        params string[] args)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = LoopbackPort.Reserve();
            var process = RunningProcess.Start(Spec(projectFolder, assemblyName, root, $"http://127.0.0.1:{port}", environment, args));
            var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}/"));
            try
            {
                await Eventually.UntilAsync(
                    async () =>
                    {
                        if (process.HasExited)
                        {
                            return true;
                        }

                        using var response = await service.Client.GetAsync("healthz");
                        return response.IsSuccessStatusCode;
                    },
                    $"{assemblyName} /healthz");
            }
            catch
            {
                await service.DisposeAsync();
                throw;
            }

            if (!process.HasExited)
            {
                return service;
            }

            var (code, output) = (process.ExitCode, process.Output);
            await service.DisposeAsync();
            if (code != CannotListenExitCode || attempt == 3)
            {
                throw new InvalidOperationException($"{assemblyName} exited with {code}:\n{output}");
            }
        }
    }

    /// <summary>
    /// The smoke check every service passes: it starts, answers <c>/healthz</c> and <c>/metrics</c>, and on SIGTERM
    /// stops by itself with exit code 0.
    /// </summary>
    public static async Task AssertStartsAndStopsCleanlyAsync(string projectFolder, string assemblyName)
    {
        using var root = new TempRoot();
        await using var service = await StartAsync(projectFolder, assemblyName, root.Path);
        var health = await service.Client.GetStringAsync("healthz");
        health.Should().Contain("\"status\":\"ok\"");
        var metrics = await service.Client.GetStringAsync("metrics");
        metrics.Should().Contain("process_resident_memory_bytes");

        service.Process.Signal(15);
        var code = await service.Process.WaitForExitAsync();
        code.Should().Be(0, "SIGTERM must stop the service gracefully:\n" + service.Process.Output);
    }

    /// <summary>
    /// A service that cannot listen (another socket holds its port) says so in one line and exits with code 3,
    /// instead of aborting on an unhandled exception (134).
    /// </summary>
    public static async Task AssertNamesAPortItCannotListenOnAsync(string projectFolder, string assemblyName)
    {
        using var root = new TempRoot();
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        await using var process = RunningProcess.Start(Spec(projectFolder, assemblyName, root.Path, $"http://127.0.0.1:{port}"));

        var code = await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        code.Should().Be(CannotListenExitCode, process.Output);
        process.Output.Should().Contain("cannot listen").And.Contain($"127.0.0.1:{port}").And.NotContain("Unhandled exception");
    }

    /// <summary>How to run the project's built assembly listening on <paramref name="url"/>, with <c>WHIM_ROOT</c> = <paramref name="root"/>.</summary>
    public static ProcessSpec Spec(string projectFolder, string assemblyName, string root, string url, IReadOnlyDictionary<string, string?>? environment = null, params string[] args)
    {
        var env = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()) { ["WHIM_ROOT"] = root };
        return RepoLayout.DotnetProject(projectFolder, assemblyName, ["--urls", url, .. args]) with { Environment = env };
    }

    protected override ValueTask StopAsync() => Process.DisposeAsync();
}
