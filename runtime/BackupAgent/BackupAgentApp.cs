using Whim.BackupAgent.Api;
using Whim.BackupAgent.Status;
using Whim.Runtime.Hosting;

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

        // Created eagerly so /metrics lists the instruments before the first upload.
        _ = app.Services.GetRequiredService<BackupMetrics>();
        return app;
    }
}
