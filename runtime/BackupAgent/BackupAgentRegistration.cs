using Microsoft.Extensions.Options;
using Whim.BackupAgent.Checkpoints;
using Whim.BackupAgent.Configuration;
using Whim.BackupAgent.Restore;
using Whim.BackupAgent.Sources;
using Whim.BackupAgent.Status;
using Whim.BackupAgent.Uploading;
using Whim.Runtime.Configuration;
using Whim.Runtime.ControlApi;

namespace Whim.BackupAgent;

/// <summary>The one registration the host and the restore command share.</summary>
internal static class BackupAgentRegistration
{
    public static IServiceCollection AddBackupAgent(this IServiceCollection services, IConfiguration configuration, bool runUploads)
    {
        services.AddValidatedOptions<BackupOptions, BackupOptionsValidator>()
            .Bind(configuration.GetSection(BackupOptions.Section))
            .PostConfigure<WhimPaths>((options, paths) =>
            {
                options.TaskId ??= configuration["TASK_ID"];
                options.HomeDirectory = paths.HomeDirectory;
                options.StateDirectory = paths.Resolve("BACKUP:STATEDIR", Path.Join(paths.RunDirectory, "backup"));
            });
        services.AddControlApiClient(configuration);
        services.AddSingleton(static sp => SourceRoots.From(sp.GetRequiredService<IOptions<BackupOptions>>().Value));
        services.AddSingleton(static sp => new CheckpointStore(sp.GetRequiredService<IOptions<BackupOptions>>().Value.StateDirectory, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SourceScanner>();
        services.AddSingleton<BackupStatusBoard>();
        services.AddSingleton<BackupMetrics>();
        services.AddSingleton<UploadGate>();
        services.AddSingleton<HistoryClient>();
        services.AddSingleton<StreamUploader>();
        services.AddSingleton<HistoryRestorer>();
        if (runUploads)
        {
            services.AddSingleton<BackupCoordinator>();
            services.AddHostedService(static sp => sp.GetRequiredService<BackupCoordinator>());
            services.AddOptions<HostOptions>().Configure<IOptions<BackupOptions>>(static (host, backup) =>
                host.ShutdownTimeout = backup.Value.ShutdownGrace + TimeSpan.FromSeconds(5));
        }

        return services;
    }
}
