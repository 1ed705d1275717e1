using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Whim.Control;
using Whim.Testing;

namespace Whim.BackupAgent.Tests.Functional;

/// <summary>A task of the control API and its internal token (what a container is given).</summary>
public sealed record ControlTask(string Id, string Token);

/// <summary>
/// The real control API (<c>control/</c>) in this process, on SQLite in its own data folder, on a loopback port
/// chosen up front so it can be stopped and started again on the same database while an agent keeps pointing at it.
/// The admin token reads what the API holds, through the same routes anyone else uses.
/// </summary>
public sealed class ControlBackend : IAsyncDisposable
{
    private const string AdminToken = "backup-test-admin-token-0123456789";

    private readonly string _root;
    private readonly HttpClient _admin;
    private StartedApp? _app;
    private SeededWorkspace? _workspace;

    private ControlBackend(string root, int port)
    {
        _root = root;
        BaseUrl = $"http://127.0.0.1:{port}";
        _admin = ControlSeed.Client(new Uri(BaseUrl + "/"), AdminToken);
    }

    /// <summary>The base URL to give the agent as <c>WHIM_API_URL</c>.</summary>
    public string BaseUrl { get; }

    /// <summary>The workspace every task of this backend belongs to.</summary>
    public string WorkspaceId => _workspace!.WorkspaceId;

    /// <summary>True while the API is stopped.</summary>
    public bool IsDown => _app is null;

    /// <summary>Starts the API with <c>WHIM_ROOT</c> = <paramref name="root"/> and seeds a team and a workspace.</summary>
    public static async Task<ControlBackend> StartAsync(string root)
    {
        var backend = new ControlBackend(root, LoopbackPort.Reserve());
        await backend.StartAgainAsync();
        backend._workspace = await ControlSeed.WorkspaceAsync(backend._admin, "b" + Guid.NewGuid().ToString("N")[..10], "BK");
        return backend;
    }

    /// <summary>Creates and launches a task; its internal token is what the agent uploads with.</summary>
    public async Task<ControlTask> CreateTaskAsync(string title = "Back up the history")
    {
        var (id, token) = await ControlSeed.LaunchTaskAsync(_admin, _workspace!, title);
        return new ControlTask(id, token);
    }

    /// <summary>Stops the API: its port refuses connections until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync();
        }
    }

    /// <summary>Starts the API (again) on the same port, root and SQLite database.</summary>
    public async Task StartAgainAsync()
    {
        if (_app is not null)
        {
            return;
        }

        _app = await StartedApp.StartAsync(ControlApp.Build(
        [
            "--urls", BaseUrl, "--ROOT", _root, "--ADMIN_TOKEN", AdminToken, "--DATABASE", string.Empty,
            "--HEARTBEATS:POLLINTERVAL", "01:00:00",
        ]));
    }

    /// <summary>The bytes the API serves for a stream, or null when it holds no such stream.</summary>
    public async Task<byte[]?> BytesAsync(string taskId, string stream)
    {
        using var response = await _admin.GetAsync($"api/v1/tasks/{taskId}/history/{stream}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>The length the API lists for a stream, or -1 when it holds no such stream.</summary>
    public async Task<long> LengthAsync(string taskId, string stream)
    {
        var list = await _admin.GetFromJsonAsync<JsonObject>($"api/v1/tasks/{taskId}/history");
        var entry = list!["streams"]!.AsArray().FirstOrDefault(s => s!["stream"]!.GetValue<string>() == stream);
        return entry is null ? -1 : entry["length"]!.GetValue<long>();
    }

    /// <summary>The stream names the API lists for a task, in order.</summary>
    public async Task<IReadOnlyList<string>> StreamsAsync(string taskId)
    {
        var list = await _admin.GetFromJsonAsync<JsonObject>($"api/v1/tasks/{taskId}/history");
        return [.. list!["streams"]!.AsArray().Select(s => s!["stream"]!.GetValue<string>())];
    }

    /// <summary>Writes a stream straight through the API (a history left by an earlier container).</summary>
    public Task SeedAsync(string taskId, string stream, byte[] bytes) => AppendAsync(taskId, stream, 0, bytes);

    /// <summary>Appends through the API at <paramref name="offset"/>; offset 0 starts the stream over.</summary>
    public async Task AppendAsync(string taskId, string stream, long offset, byte[] bytes)
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("X-Whim-Sha256", Convert.ToHexStringLower(SHA256.HashData(bytes)));
        if (offset == 0)
        {
            content.Headers.TryAddWithoutValidation("X-Whim-Truncate", "true");
        }

        using var response = await _admin.PutAsync($"api/v1/tasks/{taskId}/history/{stream}?offset={offset}", content);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await StopAsync();
    }
}
