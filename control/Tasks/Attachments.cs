using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Whim.Control.Tasks;

internal sealed record Attachment(string Id, string TaskId, string Name, string ContentType, long Size, string Sha256, DateTimeOffset CreatedAt, string PreviewUrl);

/// <summary>
/// Task attachments: metadata in the database, bytes in <c>&lt;data&gt;/attachments/&lt;task&gt;/&lt;id&gt;</c>. Upload
/// is the raw body with <c>?name=</c>; the bytes are written (and fsynced) before the row, so a row never points at
/// a missing file. Limits follow the platform: 10 files a task, 25 MB each, no executables.
/// </summary>
internal static class AttachmentEndpoints
{
    public const long MaxBytes = 25L * 1024 * 1024;
    public const int MaxPerTask = 10;
    private static readonly string[] s_blockedExtensions = [".exe", ".dll", ".so", ".bat", ".cmd", ".com", ".msi", ".sh", ".bin", ".app"];

    public static void MapAttachments(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tasks/{taskId}/attachments").RequireScope(ApiScope.Workspace).WithTags("Attachments");
        group.MapPost(string.Empty, UploadAsync);
        group.MapGet(string.Empty, (string taskId, Database database, CancellationToken ct) => database.ReadAsync(
            s => s.QueryAsync($"SELECT {Columns} FROM attachments WHERE task_id = @task ORDER BY created_at", Map, ("@task", taskId)), ct));
        group.MapGet("/{attachmentId}", async (string taskId, string attachmentId, Database database, CancellationToken ct) =>
            await FindAsync(database, taskId, attachmentId, ct) is { } a ? Results.Ok(a) : Problems.NotFound("The attachment"));
        group.MapGet("/{attachmentId}/content", async (string taskId, string attachmentId, Database database, IOptions<StorageOptions> storage, CancellationToken ct) =>
            await FindAsync(database, taskId, attachmentId, ct) is { } a
                ? Results.File(PathOf(storage.Value, taskId, attachmentId), a.ContentType, a.Name)
                : Problems.NotFound("The attachment"));
    }

    private const string Columns = "id, task_id, name, content_type, size, sha256, created_at";

    private static Attachment Map(System.Data.Common.DbDataReader r) =>
        new(r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Long(4), r.Text(5), r.Time(6), $"/api/v1/tasks/{r.Text(1)}/attachments/{r.Text(0)}/content");

    private static Task<Attachment?> FindAsync(Database database, string taskId, string id, CancellationToken ct) =>
        database.ReadAsync(s => s.SingleAsync($"SELECT {Columns} FROM attachments WHERE id = @id AND task_id = @task", Map, ("@id", id), ("@task", taskId)), ct);

    private static string PathOf(StorageOptions storage, string taskId, string id) => Path.Join(storage.DataDirectory, "attachments", taskId, id);

    private static async Task<IResult> UploadAsync(string taskId, string? name, HttpRequest request, Database database, IOptions<StorageOptions> storage, TimeProvider time, CancellationToken ct)
    {
        var v = new Validation();
        var fileName = v.Required("name", name, 255);
        if (fileName.Length > 0 && (fileName.IndexOfAny(['/', '\\', '\0']) >= 0 || fileName is "." or ".."))
        {
            v.Add("name", "must be a plain file name");
        }
        else if (s_blockedExtensions.Contains(Path.GetExtension(fileName).ToLowerInvariant()))
        {
            v.Add("name", "executables are not accepted");
        }

        var contentType = v.Optional("Content-Type", request.ContentType, 200) ?? "application/octet-stream";
        if (request.ContentLength > MaxBytes)
        {
            v.Add("body", $"is larger than {MaxBytes} bytes");
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var id = Ids.New();
        var path = PathOf(storage.Value, taskId, id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        long size;
        string sha;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[81920];
            size = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
            {
                size += read;
                if (size > MaxBytes)
                {
                    file.Close();
                    File.Delete(path);
                    return Problems.Field("body", $"is larger than {MaxBytes} bytes");
                }

                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
            }

            await file.FlushAsync(ct);
            file.Flush(flushToDisk: true);
            sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        var attachment = new Attachment(id, taskId, fileName, contentType, size, sha, time.GetUtcNow(), $"/api/v1/tasks/{taskId}/attachments/{id}/content");
        var stored = await database.WriteAsync(
            async s =>
            {
                if (await s.CountAsync("SELECT COUNT(*) FROM attachments WHERE task_id = @task", ("@task", taskId)) >= MaxPerTask)
                {
                    return false;
                }

                await s.ExecuteAsync(
                    "INSERT INTO attachments (id, task_id, name, content_type, size, sha256, created_at) VALUES (@id, @task, @name, @type, @size, @sha, @at)",
                    ("@id", id), ("@task", taskId), ("@name", fileName), ("@type", contentType), ("@size", size), ("@sha", sha), ("@at", attachment.CreatedAt.ToUnixTimeMilliseconds()));
                return true;
            },
            ct);
        if (!stored)
        {
            File.Delete(path);
            return Problems.Conflict($"A task holds at most {MaxPerTask} attachments.");
        }

        return Results.Created(attachment.PreviewUrl, attachment);
    }
}
