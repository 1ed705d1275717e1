using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Whim.BackupAgent.Configuration;
using Whim.BackupAgent.Restore;
using Whim.BackupAgent.Status;
using Whim.BackupAgent.Uploading;
using Whim.Runtime.ControlApi;

namespace Whim.BackupAgent.Api;

/// <summary>The agent's own routes on :8081 besides the kernel's <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>.</summary>
internal static class BackupEndpoints
{
    public static void MapBackupEndpoints(this WebApplication app)
    {
        app.MapGet("/status", static (BackupStatusBoard board, BackupCoordinator coordinator, IOptions<BackupOptions> options) =>
            TypedResults.Json(board.Document(options.Value.TaskId, coordinator.Enabled), BackupJsonContext.Default.StatusDocument));

        app.MapPost("/backup", FlushAsync);
        app.MapPost("/restore", RestoreAsync);
    }

    // The control plane calls this before suspending: 200 once everything seen so far is acknowledged, 504 naming the
    // streams still pending when the timeout (seconds) passes first.
    private static async Task<IResult> FlushAsync(
        HttpRequest request,
        BackupCoordinator coordinator,
        BackupStatusBoard board,
        IOptions<BackupOptions> options,
        CancellationToken cancellationToken)
    {
        if (!coordinator.Enabled)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "backup disabled", "WHIM_TASK_ID and WHIM_API_URL must both be set to back up");
        }

        var timeout = options.Value.FlushTimeout;
        var text = request.Query["timeout"].ToString();
        if (text.Length > 0)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0 || seconds > 3600)
            {
                return Problem(StatusCodes.Status400BadRequest, "invalid timeout", "timeout: must be a number of seconds in (0, 3600]");
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }

        if (await coordinator.FlushAsync(timeout, cancellationToken))
        {
            return TypedResults.Json(board.Document(options.Value.TaskId, enabled: true), BackupJsonContext.Default.StatusDocument);
        }

        var pending = board.Pending();
        return Problem(
            StatusCodes.Status504GatewayTimeout,
            "backup not acknowledged in time",
            $"still pending after {timeout.TotalSeconds:0.###} s: {(pending.Count == 0 ? "a pass in progress" : string.Join(", ", pending))}");
    }

    private static async Task<IResult> RestoreAsync(HttpRequest request, HistoryRestorer restorer, CancellationToken cancellationToken)
    {
        var fromTask = request.Query["fromTask"].ToString();
        if (string.IsNullOrWhiteSpace(fromTask))
        {
            return Problem(StatusCodes.Status400BadRequest, "missing fromTask", "fromTask: the task whose history to restore is required");
        }

        try
        {
            var report = await restorer.RestoreAsync(fromTask, cancellationToken);
            return TypedResults.Json(report, BackupJsonContext.Default.RestoreReport);
        }
        catch (ControlApiException e)
        {
            return Problem(StatusCodes.Status502BadGateway, "restore failed", e.Message);
        }
    }

    private static IResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(RestoreReport))]
internal sealed partial class BackupJsonContext : JsonSerializerContext;
