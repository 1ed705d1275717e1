using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Whim.Control;
using Whim.Testing;

namespace Whim.WhimMcp.Tests;

/// <summary>
/// The real control API in-process on a loopback port (SQLite), seeded with the admin token: a team and workspace, a
/// member, an MCP token, a running task with a conversation, shell history, an attachment, a port and a workspace
/// config holding a secret. Shared by the tests of this class (one start, several scenarios).
/// </summary>
public sealed class ControlFixture : IAsyncLifetime
{
    public const string AdminToken = "mcp-test-admin-token-0123456789abcdef";
    public const string UserName = "Ada Lovelace";

    private readonly TempRoot _root = new("whim-mcp-");

    public StartedApp App { get; private set; } = null!;

    public string Slug { get; } = "m" + Guid.NewGuid().ToString("N")[..10];

    public string WorkspaceId { get; private set; } = null!;

    public string McpToken { get; private set; } = null!;

    public string TaskId { get; private set; } = null!;

    public string TaskToken { get; private set; } = null!;

    /// <summary>A second workspace's MCP token: must not open the first workspace's endpoint.</summary>
    public string OtherMcpToken { get; private set; } = null!;

    public Uri McpUrl => new(App.BaseAddress, $"api/mcp/{Slug}/{Slug}");

    public async Task InitializeAsync()
    {
        App = await StartedApp.StartAsync(ControlApp.Build(
            ["--urls", "http://127.0.0.1:0", "--ROOT", _root.Path, "--ADMIN_TOKEN", AdminToken, "--DATABASE", string.Empty, "--PREVIEW:DOMAIN", "preview.test"]));
        using var admin = Client(AdminToken);
        var workspace = await ControlSeed.WorkspaceAsync(admin, Slug, "MC", UserName);
        (WorkspaceId, McpToken) = (workspace.WorkspaceId, workspace.McpToken);
        OtherMcpToken = (await ControlSeed.WorkspaceAsync(admin, "o" + Slug[1..], "OT")).McpToken;
        (TaskId, TaskToken) = await ControlSeed.LaunchTaskAsync(admin, workspace, "Refactor the parser", "Please refactor the parser");

        using var runtime = Client(TaskToken);
        await AppendHistoryAsync(runtime, "claude/projects/-app/session.jsonl",
            """{"type":"user","message":{"role":"user","content":"Please refactor the parser"}}""" + "\n" +
            """{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"I split the parser into a lexer and a reader."}]}}""" + "\n");
        await AppendHistoryAsync(runtime, "shell/bash_history", "npm run build\nnpm test\n");
        (await runtime.PutAsJsonAsync($"api/v1/tasks/{TaskId}/ports/5173", new JsonObject
        {
            ["family"] = "ipv4", ["address"] = "127.0.0.1", ["pid"] = 42, ["process"] = "node", ["command"] = "npm run dev", ["ready"] = true,
        })).EnsureSuccessStatusCode();

        using var mcp = Client(McpToken);
        using var file = new ByteArrayContent(Encoding.UTF8.GetBytes("remember the edge cases"));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        (await mcp.PostAsync($"api/v1/tasks/{TaskId}/attachments?name=notes.txt", file)).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"api/v1/workspaces/{WorkspaceId}/config", new JsonObject
        {
            ["instructions"] = "Be brief.", ["env"] = new JsonObject { ["API_KEY"] = "s3cr3t-value" },
        })).EnsureSuccessStatusCode();
    }

    public HttpClient Client(string? token) => ControlSeed.Client(App.BaseAddress, token);

    private async Task AppendHistoryAsync(HttpClient runtime, string stream, string text)
    {
        var body = Encoding.UTF8.GetBytes(text);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/tasks/{TaskId}/history/{stream}?offset=0") { Content = new ByteArrayContent(body) };
        request.Headers.Add("X-Whim-Sha256", Convert.ToHexStringLower(SHA256.HashData(body)));
        (await runtime.SendAsync(request)).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        _root.Dispose();
    }
}
