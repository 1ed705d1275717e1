using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Whim.Control.Storage;
using Whim.Testing;

namespace Whim.Control.Tests.Fixtures;

/// <summary>Which database a test host runs on: SQLite (null connection string) or a fresh PostgreSQL database.</summary>
public interface IBackend
{
    string Name { get; }

    Task<string?> CreateDatabaseAsync();
}

public sealed class SqliteBackend : IBackend
{
    public string Name => "sqlite";

    public Task<string?> CreateDatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresBackend(PostgresServer server) : IBackend
{
    public string Name => "postgres";

    public async Task<string?> CreateDatabaseAsync() => await server.CreateDatabaseAsync();
}

/// <summary>The control API started in-process on a loopback port with a temp root, an admin token and helpers to seed data.</summary>
public sealed class ControlHost : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789abcdef";

    private readonly TempRoot _root;

    private ControlHost(TempRoot root, StartedApp app)
    {
        _root = root;
        App = app;
        Admin = ClientWith(AdminToken);
    }

    public StartedApp App { get; }

    public HttpClient Admin { get; }

    public string Root => _root.Path;

    public IServiceProvider Services => App.App.Services;

    internal Database Database => Services.GetRequiredService<Database>();

    public static async Task<ControlHost> StartAsync(IBackend backend, Action<IServiceCollection>? configure = null, params string[] extraArgs)
    {
        var root = new TempRoot("whim-control-");
        var connection = await backend.CreateDatabaseAsync();
        string[] args =
        [
            "--urls", "http://127.0.0.1:0", "--ROOT", root.Path, "--ADMIN_TOKEN", AdminToken, "--DATABASE", connection ?? string.Empty,
            "--PREVIEW:DOMAIN", "preview.test", .. extraArgs,
        ];
        var app = await StartedApp.StartAsync(ControlApp.Build(args, configure));
        return new ControlHost(root, app);
    }

    public HttpClient ClientWith(string? token)
    {
        var client = new HttpClient { BaseAddress = App.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Seeds a team, a workspace, a member user and an MCP token for that user.</summary>
    public async Task<Seeded> SeedWorkspaceAsync(string name = "Whim Web", int? idleTimeoutSeconds = null)
    {
        var slug = "s" + Guid.NewGuid().ToString("N")[..10];
        var team = await PostAsync(Admin, "api/v1/teams", new JsonObject { ["slug"] = slug, ["name"] = "Team " + slug });
        var workspace = await PostAsync(Admin, "api/v1/workspaces", new JsonObject
        {
            ["teamId"] = team["id"]!.GetValue<string>(), ["slug"] = slug, ["name"] = name, ["idleTimeoutSeconds"] = idleTimeoutSeconds,
        });
        var user = await PostAsync(Admin, "api/v1/users", new JsonObject { ["email"] = slug + "@example.com", ["name"] = "User " + slug });
        var workspaceId = workspace["id"]!.GetValue<string>();
        var userId = user["id"]!.GetValue<string>();
        (await Admin.PutAsJsonAsync($"api/v1/workspaces/{workspaceId}/members/{userId}", new JsonObject { ["role"] = "admin" })).EnsureSuccessStatusCode();
        var token = await PostAsync(Admin, $"api/v1/workspaces/{workspaceId}/tokens", new JsonObject { ["name"] = "mcp", ["userId"] = userId });
        return new Seeded(workspaceId, workspace["prefix"]!.GetValue<string>(), userId, token["token"]!.GetValue<string>(), token["details"]!["id"]!.GetValue<string>());
    }

    /// <summary>Creates a task in the workspace (launched unless told otherwise); returns the task JSON and its internal token.</summary>
    public async Task<(JsonNode Task, string? Token)> CreateTaskAsync(HttpClient client, string workspaceId, bool launch = true, string title = "Do the thing")
    {
        var created = await PostAsync(client, $"api/v1/workspaces/{workspaceId}/tasks", new JsonObject { ["title"] = title, ["launch"] = launch });
        return (created["task"]!, created["internalToken"]?.GetValue<string>());
    }

    public static async Task<JsonNode> PostAsync(HttpClient client, string path, JsonNode body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Tracks a branch (PUT …/branches/{branch}); answers its reserve view.</summary>
    public static async Task<JsonNode> PutTrackedAsync(HttpClient client, string path, bool isDefault)
    {
        using var response = await client.PutAsJsonAsync(path, new JsonObject { ["default"] = isDefault });
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"PUT {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public static async Task<JsonNode> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Counts rows in each named table (bad-input tests check nothing was written).</summary>
    internal Task<Dictionary<string, long>> CountRowsAsync(params string[] tables) =>
        Database.ReadAsync(
            async s =>
            {
                var counts = new Dictionary<string, long>();
                foreach (var table in tables)
                {
                    counts[table] = await s.CountAsync($"SELECT COUNT(*) FROM {table}");
                }

                return counts;
            },
            CancellationToken.None);

    public string LogText()
    {
        var folder = Path.Join(Root, "whim", "logs");
        return Directory.Exists(folder)
            ? string.Join('\n', Directory.GetFiles(folder).Select(f =>
            {
                using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return new StreamReader(stream).ReadToEnd();
            }))
            : string.Empty;
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await App.DisposeAsync();
        _root.Dispose();
    }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}

public sealed record Seeded(string WorkspaceId, string Prefix, string UserId, string McpToken, string McpTokenId);
