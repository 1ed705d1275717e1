using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Whim.BackupAgent.Tests.StandIn;

/// <summary>
/// A faithful stand-in for the control API's history routes (COMMON.md contract), on a real Kestrel on an ephemeral
/// loopback port: append only at the held length, duplicates acknowledged, 409 with the held length on a gap, 400 on a
/// checksum mismatch or a bad stream name, <c>X-Whim-Truncate</c> starts over. Bytes are kept in files (a benchmark
/// pushes hundreds of MB through it). <see cref="Down"/> makes every route answer 503, as a backend outage.
/// Point the tests at the real control API later by replacing <see cref="BaseUrl"/> and <see cref="Bytes"/>.
/// </summary>
public sealed class HistoryStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _folder;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Task, string Stream), string> _files = [];
    private long _appends;
    private long _duplicates;
    private long _conflicts;
    private long _unavailable;
    private long _truncates;

    private HistoryStandIn(WebApplication app, string folder, string? token)
    {
        _app = app;
        _folder = folder;
        Token = token;
    }

    /// <summary>The base URL to give the agent as <c>WHIM_API_URL</c>.</summary>
    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>The bearer token required, if any.</summary>
    public string? Token { get; }

    /// <summary>When true every request is answered 503.</summary>
    public volatile bool Down;

    public long Appends => Interlocked.Read(ref _appends);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long Conflicts => Interlocked.Read(ref _conflicts);

    public long Unavailable => Interlocked.Read(ref _unavailable);

    public long Truncates => Interlocked.Read(ref _truncates);

    public static async Task<HistoryStandIn> StartAsync(string folder, string? token = "test-internal-token")
    {
        Directory.CreateDirectory(folder);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        var standIn = new HistoryStandIn(app, folder, token);
        app.Use(async (context, next) =>
        {
            if (standIn.Down)
            {
                Interlocked.Increment(ref standIn._unavailable);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            if (token is not null && context.Request.Headers.Authorization.ToString() != "Bearer " + token)
            {
                await Results.Problem(statusCode: 401, title: "unauthorised", detail: "Authorization: bearer token missing or wrong").ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        app.MapPut("/api/v1/tasks/{taskId}/history/{**stream}", (string taskId, string stream, HttpRequest request) => standIn.AppendAsync(taskId, stream, request));
        app.MapGet("/api/v1/tasks/{taskId}/history", (string taskId) => Results.Json(standIn.List(taskId)));
        app.MapGet("/api/v1/tasks/{taskId}/history/{**stream}", (string taskId, string stream) =>
        {
            var path = standIn.FileOf(taskId, stream, create: false);
            return path is null ? Results.Problem(statusCode: 404, title: "no such stream", detail: "stream: not held") : Results.File(path, "application/octet-stream");
        });
        await app.StartAsync();
        standIn.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return standIn;
    }

    /// <summary>The bytes held for a stream, or null.</summary>
    public byte[]? Bytes(string taskId, string stream)
    {
        var path = FileOf(taskId, stream, create: false);
        lock (_lock)
        {
            return path is null ? null : File.ReadAllBytes(path);
        }
    }

    /// <summary>The length held for a stream, or -1.</summary>
    public long Length(string taskId, string stream)
    {
        var path = FileOf(taskId, stream, create: false);
        return path is null ? -1 : new FileInfo(path).Length;
    }

    /// <summary>Stream names held for a task.</summary>
    public IReadOnlyList<string> Streams(string taskId)
    {
        lock (_lock)
        {
            return [.. _files.Keys.Where(k => k.Task == taskId).Select(k => k.Stream).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Puts bytes straight into the store (a history from an earlier container).</summary>
    public void Seed(string taskId, string stream, byte[] bytes)
    {
        var path = FileOf(taskId, stream, create: true)!;
        lock (_lock)
        {
            File.WriteAllBytes(path, bytes);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    internal static string? InvalidStream(string stream)
    {
        if (string.IsNullOrEmpty(stream) || stream.Length > 512)
        {
            return "must be 1 to 512 characters";
        }

        if (stream.StartsWith('/'))
        {
            return "must be relative";
        }

        if (stream.Split('/').Any(s => s is "" or "." or ".."))
        {
            return "must not contain empty, '.' or '..' segments";
        }

        return stream.Any(c => c < ' ' || c == '\u007f') ? "must be printable" : null;
    }

    private async Task<IResult> AppendAsync(string taskId, string stream, HttpRequest request)
    {
        if (InvalidStream(stream) is { } reason)
        {
            return Results.Problem(statusCode: 400, title: "invalid stream", detail: "stream: " + reason);
        }

        if (!long.TryParse(request.Query["offset"], out var offset) || offset < 0)
        {
            return Results.Problem(statusCode: 400, title: "invalid offset", detail: "offset: must be a non-negative integer");
        }

        var expected = request.Headers["X-Whim-Sha256"].ToString();
        if (expected.Length != 64)
        {
            return Results.Problem(statusCode: 400, title: "invalid checksum", detail: "X-Whim-Sha256: must be the hex SHA-256 of the body");
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(body)), expected, StringComparison.OrdinalIgnoreCase))
        {
            return Results.Problem(statusCode: 400, title: "checksum mismatch", detail: "X-Whim-Sha256: does not match the body");
        }

        var truncate = string.Equals(request.Headers["X-Whim-Truncate"].ToString(), "true", StringComparison.OrdinalIgnoreCase);
        if (truncate && offset != 0)
        {
            return Results.Problem(statusCode: 400, title: "invalid offset", detail: "offset: must be 0 with X-Whim-Truncate");
        }

        var path = FileOf(taskId, stream, create: true)!;
        lock (_lock)
        {
            using var file = new FileStream(path, truncate ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.ReadWrite);
            var held = file.Length;
            if (truncate)
            {
                Interlocked.Increment(ref _truncates);
            }

            if (offset == held)
            {
                file.Seek(0, SeekOrigin.End);
                file.Write(body);
                Interlocked.Increment(ref _appends);
                return Results.Json(new AppendAnswer(stream, file.Length));
            }

            if (offset + body.Length <= held && SameBytes(file, offset, body))
            {
                Interlocked.Increment(ref _duplicates);
                return Results.Json(new AppendAnswer(stream, held));
            }

            Interlocked.Increment(ref _conflicts);
            return Results.Problem(
                statusCode: 409,
                title: "offset gap",
                detail: $"offset: {offset} is not the held length {held}",
                extensions: new Dictionary<string, object?> { ["length"] = held });
        }
    }

    private static bool SameBytes(FileStream file, long offset, byte[] body)
    {
        var held = new byte[body.Length];
        file.Seek(offset, SeekOrigin.Begin);
        file.ReadExactly(held);
        return held.AsSpan().SequenceEqual(body);
    }

    private ListAnswer List(string taskId)
    {
        lock (_lock)
        {
            return new ListAnswer([.. _files.Where(f => f.Key.Task == taskId).OrderBy(f => f.Key.Stream, StringComparer.Ordinal)
                .Select(f => new ListEntry(f.Key.Stream, new FileInfo(f.Value).Length, Kind(f.Key.Stream)))]);
        }
    }

    private static string Kind(string stream) =>
        stream.StartsWith("claude/", StringComparison.Ordinal) || stream.StartsWith("codex/", StringComparison.Ordinal) ? "conversation"
        : stream.StartsWith("shell/", StringComparison.Ordinal) ? "shell" : "other";

    private string? FileOf(string taskId, string stream, bool create)
    {
        lock (_lock)
        {
            if (_files.TryGetValue((taskId, stream), out var path))
            {
                return path;
            }

            if (!create)
            {
                return null;
            }

            path = Path.Join(_folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(taskId + "\n" + stream))));
            File.WriteAllBytes(path, []);
            _files[(taskId, stream)] = path;
            return path;
        }
    }

    private sealed record AppendAnswer(string Stream, long Length);

    private sealed record ListAnswer(IReadOnlyList<ListEntry> Streams);

    private sealed record ListEntry(string Stream, long Length, string Kind);
}
