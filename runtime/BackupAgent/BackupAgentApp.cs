using Whim.BackupAgent.Api;
using Whim.BackupAgent.Status;
using Whim.Runtime.Hosting;
using Whim.Runtime.Metrics;

namespace Whim.BackupAgent;

/// <summary>Builds the backup-agent host: what Program.cs runs and what the tests start on port 0.</summary>
public static class BackupAgentApp
{
    /// <summary>Who this process is and where it listens by default.</summary>
    public static readonly WhimService Service = new("backup-agent", 8081);

    /// <summary>Builds the application from command-line arguments and the environment.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WhimHost.CreateWebBuilder(Service, args);
        builder.Services.AddBackupAgent(builder.Configuration, runUploads: true);
        var app = builder.Build();
        app.UseWhimDefaults();
        app.MapBackupEndpoints();

        // Both created eagerly: the exporter's listener must exist before the first upload, or the counters' first
        // measurements (made before anyone scraped /metrics) are lost; and /metrics lists the instruments from the start.
        _ = app.Services.GetRequiredService<PrometheusMetrics>();
        _ = app.Services.GetRequiredService<BackupMetrics>();
        return app;
    }
}
