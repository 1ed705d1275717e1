using System.Text.Json;
using Whim.BackupAgent.Api;
using Whim.Runtime.ControlApi;
using Whim.Runtime.Hosting;

namespace Whim.BackupAgent.Restore;

/// <summary>
/// <c>Whim.BackupAgent restore --from-task &lt;id&gt; [settings...]</c>: restores a task's history and exits, for
/// bootstrap to run before the agent starts. Prints the report as JSON on stdout; logs go to stderr.
/// </summary>
public static class RestoreCommand
{
    /// <summary>The history was restored.</summary>
    public const int Succeeded = 0;

    /// <summary>The command line was wrong.</summary>
    public const int UsageError = 2;

    /// <summary>The backend could not be read.</summary>
    public const int BackendFailed = 3;

    /// <summary>The command's name, the first argument.</summary>
    public const string Name = "restore";

    /// <summary>Runs the command; <paramref name="args"/> excludes <see cref="Name"/>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? fromTask = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--from-task" && i + 1 < args.Length)
            {
                fromTask = args[++i];
            }
            else if (args[i].StartsWith("--from-task=", StringComparison.Ordinal))
            {
                fromTask = args[i]["--from-task=".Length..];
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        if (string.IsNullOrWhiteSpace(fromTask))
        {
            await Console.Error.WriteLineAsync("usage: Whim.BackupAgent restore --from-task <task id> [--KEY value ...]\n--from-task: required, the task whose history to restore");
            return UsageError;
        }

        var builder = WhimHost.CreateBuilder(BackupAgentApp.Service with { LogToStandardError = true }, [.. rest]);
        builder.Services.AddBackupAgent(builder.Configuration, runUploads: false);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var report = await host.Services.GetRequiredService<HistoryRestorer>().RestoreAsync(fromTask, CancellationToken.None);
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(report, BackupJsonContext.Default.RestoreReport));
            return Succeeded;
        }
        catch (ControlApiException e)
        {
            await Console.Error.WriteLineAsync("restore failed: " + e.Message);
            return BackendFailed;
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
