using FluentAssertions;

namespace Whim.Testing;

/// <summary>A built HTTP service started as its own process on a loopback port, with <c>WHIM_ROOT</c> in a temporary folder.</summary>
public sealed class ServiceProcess(RunningProcess process, Uri baseAddress) : LoopbackService(baseAddress)
{
    /// <summary>The process.</summary>
    public RunningProcess Process { get; } = process;

    /// <summary>Starts the project's built assembly and waits until <c>/healthz</c> answers.</summary>
    public static async Task<ServiceProcess> StartAsync(
        string projectFolder,
        string assemblyName,
        string root,
        IReadOnlyDictionary<string, string?>? environment = null,
        params string[] args)
    {
        var port = LoopbackPort.Reserve();
        var env = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()) { ["WHIM_ROOT"] = root };
        var spec = RepoLayout.DotnetProject(projectFolder, assemblyName, ["--urls", $"http://127.0.0.1:{port}", .. args]) with { Environment = env };
        var process = RunningProcess.Start(spec);
        var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await Eventually.UntilAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"{assemblyName} exited with {process.ExitCode}:\n{process.Output}");
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

        return service;
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

    protected override ValueTask StopAsync() => Process.DisposeAsync();
}
