using Microsoft.Extensions.Options;
using Whim.PortMonitor.Readiness;
using Whim.PortMonitor.Registration;
using Whim.PortMonitor.Scanning;
using Whim.PortMonitor.Table;
using Whim.Runtime.Configuration;
using Whim.Runtime.ControlApi;
using Whim.Runtime.Hosting;

namespace Whim.PortMonitor;

/// <summary>Builds the port-monitor host: what Program.cs runs and what the tests start on port 0.</summary>
public static class PortMonitorApp
{
    /// <summary>Who this process is and where it listens by default.</summary>
    public static readonly WhimService Service = new("port-monitor", 8082);

    /// <summary>Builds the application from command-line arguments and the environment.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WhimHost.CreateWebBuilder(Service, args);
        builder.Services.AddPortMonitor(builder.Configuration);
        var app = builder.Build();
        app.UseWhimDefaults();
        app.MapGet("/ports", static (PortTable table) =>
        {
            var snapshot = table.Current;
            return Results.Json(new PortTableDocument(snapshot.UpdatedAt, snapshot.Ports), PortMonitorJson.Default.PortTableDocument);
        });
        return app;
    }

    /// <summary>Registers the scanner, the table, the probe, the publisher loop and the registrar.</summary>
    internal static IServiceCollection AddPortMonitor(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<PortMonitorOptions, PortMonitorOptionsValidator>().Bind(configuration.GetSection("PORTMONITOR"));
        services.AddControlApiClient(configuration);
        services.AddSingleton(new TaskIdentity(configuration["TASK_ID"]));
        services.AddSingleton(sp => new PortTablePath(sp.GetRequiredService<WhimPaths>().Resolve("PORT_TABLE", "/whim/run/ports.json")));
        services.AddSingleton(new ProcFiles(string.IsNullOrWhiteSpace(configuration["PROC_ROOT"]) ? "/proc" : configuration["PROC_ROOT"]!));
        services.AddSingleton<PortTable>();
        services.AddSingleton(sp => new ReadinessProbe(sp.GetRequiredService<IOptions<PortMonitorOptions>>().Value.ProbeTimeout));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PortMonitorOptions>>().Value;
            var proc = sp.GetRequiredService<ProcFiles>();
            var ignored = new HashSet<int>(PortMonitorOptions.RuntimePorts);
            ignored.UnionWith(PortMonitorOptions.ParsePorts(options.IgnoredPorts, out _) ?? []);
            ignored.UnionWith(OwnPorts(configuration));
            return new PortScanner(SocketSourceChoice.Choose(options.Source, proc, sp.GetRequiredService<ILoggerFactory>().CreateLogger<PortScanner>()), new SocketOwnerResolver(proc, options.OwnerPidRoot), ignored, options.OwnerPidRoot is not null, options.UnresolvedRetry);
        });
        services.AddSingleton<PortMonitorService>();
        services.AddHostedService(static sp => sp.GetRequiredService<PortMonitorService>());
        services.AddHostedService<PortRegistrar>();
        return services;
    }

    // The ports this process itself was told to listen on (a configured --urls) are runtime ports too.
    private static IEnumerable<int> OwnPorts(IConfiguration configuration)
    {
        var urls = configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            yield break;
        }

        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Uri.TryCreate(url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) && uri.Port > 0)
            {
                yield return uri.Port;
            }
        }
    }
}
