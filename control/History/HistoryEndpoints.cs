using System.Security.Cryptography;
using Whim.Control.Tasks;

namespace Whim.Control.History;

/// <summary>History streams (backup agent → control) and workspace search (contract in COMMON.md).</summary>
internal static class HistoryEndpoints
{
    public const int MaxAppendBytes = 16 * 1024 * 1024;
    public const string ShaHeader = "X-Whim-Sha256";
    public const string TruncateHeader = "X-Whim-Truncate";
    private static readonly string[] s_types = ["all", StreamNames.Conversation, StreamNames.Shell];

    public static void MapHistory(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tasks/{taskId}/history").WithTags("History");
        group.MapGet(string.Empty, async (string taskId, HistoryStore store, CancellationToken ct) => Results.Ok(new StreamList(await store.ListAsync(taskId, ct))))
            .RequireScope(ApiScope.Workspace);
        group.MapGet("/{**stream}", ReadAsync).RequireScope(ApiScope.Workspace);
        group.MapPut("/{**stream}", AppendAsync).RequireScope(ApiScope.TaskRuntime);

        api.MapGet("/workspaces/{workspaceId}/search", SearchAsync).RequireScope(ApiScope.Workspace).WithTags("History");
    }

    private static async Task<IResult> AppendAsync(string taskId, string stream, long? offset, HttpRequest request, HistoryStore store, TaskStore tasks, CancellationToken ct)
    {
        var v = new Validation();
        if (StreamNames.Problem(stream) is { } problem)
        {
            v.Add("stream", problem);
        }

        if (offset is null or < 0)
        {
            v.Add("offset", "is required and must be 0 or more");
        }

        var truncate = string.Equals(request.Headers[TruncateHeader], "true", StringComparison.OrdinalIgnoreCase);
        if (truncate && offset != 0)
        {
            v.Add(TruncateHeader, "is allowed only with offset=0");
        }

        var sha = request.Headers[ShaHeader].ToString();
        if (sha.Length != 64 || !sha.All(char.IsAsciiHexDigit))
        {
            v.Add(ShaHeader, "must be the hex SHA-256 of the body");
        }

        if (request.ContentLength > MaxAppendBytes)
        {
            v.Add("body", $"is larger than {MaxAppendBytes} bytes");
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > MaxAppendBytes)
        {
            return Problems.Field("body", $"is larger than {MaxAppendBytes} bytes");
        }

        var body = buffer.ToArray();
        if (!Convert.ToHexStringLower(SHA256.HashData(body)).Equals(sha, StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Field(ShaHeader, "does not match the body");
        }

        var task = await tasks.GetAsync(taskId, ct);
        if (task is null)
        {
            return Problems.NotFound("The task");
        }

        var (outcome, length) = await store.AppendAsync(task.View.WorkspaceId, taskId, stream, offset!.Value, body, truncate, ct);
        return outcome switch
        {
            AppendOutcome.Gap => Problems.Conflict($"The stream holds {length} bytes; offset {offset} leaves a gap.", new Dictionary<string, object?> { ["length"] = length, ["stream"] = stream }),
            AppendOutcome.Mismatch => Problems.Conflict($"The bytes at offset {offset} differ from those held; start over with {TruncateHeader}.", new Dictionary<string, object?> { ["length"] = length, ["stream"] = stream }),
            _ => Results.Ok(new StreamAck(stream, length)),
        };
    }

    private static async Task<IResult> ReadAsync(string taskId, string stream, HistoryStore store, CancellationToken ct)
    {
        if (StreamNames.Problem(stream) is { } problem)
        {
            return Problems.Field("stream", problem);
        }

        if (await store.LengthAsync(taskId, stream, ct) is not { } length)
        {
            return Problems.NotFound("The stream");
        }

        var path = store.PathOf(taskId, stream);
        return Results.Stream(
            async body =>
            {
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 81920, useAsync: true);
                var buffer = new byte[81920];
                var left = length;
                while (left > 0)
                {
                    var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct);
                    if (read == 0)
                    {
                        break;
                    }

                    await body.WriteAsync(buffer.AsMemory(0, read), ct);
                    left -= read;
                }
            },
            "application/octet-stream");
    }

    private static async Task<IResult> SearchAsync(string workspaceId, string? q, string? type, string? taskId, int? limit, HistoryStore store, CancellationToken ct)
    {
        var v = new Validation();
        var words = v.Required("q", q, 500);
        var kind = v.OneOf("type", type, s_types);
        v.Optional("taskId", taskId, 64);
        v.Range("limit", limit, 1, 200);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var hits = await store.SearchAsync(workspaceId, words, kind is null or "all" ? null : kind, taskId, limit ?? 20, ct);
        return Results.Ok(new SearchResults(words, "keyword", hits));
    }
}
