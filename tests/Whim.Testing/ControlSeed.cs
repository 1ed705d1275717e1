using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Whim.Testing;

/// <summary>A team, its workspace, an admin member of it and that member's MCP token, as seeded through the control API.</summary>
public sealed record SeededWorkspace(string TeamId, string WorkspaceId, string UserId, string McpToken);

/// <summary>A launched task and the internal token the runtime in its container authenticates with.</summary>
public sealed record LaunchedTask(string TaskId, string InternalToken);

/// <summary>
/// Seeds a running control API over its public HTTP routes (the same ones an operator uses), so every test that needs
/// a workspace and a running task gets them the same way, whether the control API runs in-process or as a process.
/// </summary>
public static class ControlSeed
{
    /// <summary>A client of the control API at <paramref name="baseAddress"/> with a bearer token (none when null).</summary>
    public static HttpClient Client(Uri baseAddress, string? token)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Creates a team and workspace named <paramref name="slug"/>, a user who is an admin of it and an MCP token.</summary>
    public static async Task<SeededWorkspace> WorkspaceAsync(HttpClient admin, string slug, string prefix, string? userName = null)
    {
        ArgumentNullException.ThrowIfNull(admin);
        var team = await PostAsync(admin, "api/v1/teams", new JsonObject { ["slug"] = slug, ["name"] = "Team " + slug });
        var teamId = team["id"]!.GetValue<string>();
        var workspace = await PostAsync(admin, "api/v1/workspaces", new JsonObject
        {
            ["teamId"] = teamId, ["slug"] = slug, ["name"] = "Workspace " + slug, ["prefix"] = prefix,
        });
        var user = await PostAsync(admin, "api/v1/users", new JsonObject { ["email"] = slug + "@example.com", ["name"] = userName ?? "User " + slug });
        var workspaceId = workspace["id"]!.GetValue<string>();
        var userId = user["id"]!.GetValue<string>();
        using (var member = await admin.PutAsJsonAsync($"api/v1/workspaces/{workspaceId}/members/{userId}", new JsonObject { ["role"] = "admin" }))
        {
            await EnsureAsync(member, "PUT member");
        }

        var token = await PostAsync(admin, $"api/v1/workspaces/{workspaceId}/tokens", new JsonObject { ["name"] = "mcp", ["userId"] = userId });
        return new SeededWorkspace(teamId, workspaceId, userId, token["token"]!.GetValue<string>());
    }

    /// <summary>Creates and launches a task in <paramref name="workspace"/>; the answer carries its internal token.</summary>
    public static async Task<LaunchedTask> LaunchTaskAsync(HttpClient admin, SeededWorkspace workspace, string title, string? body = null)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var created = await PostAsync(admin, $"api/v1/workspaces/{workspace.WorkspaceId}/tasks", new JsonObject
        {
            ["title"] = title, ["body"] = body ?? title, ["createdBy"] = workspace.UserId, ["launch"] = true,
        });
        return new LaunchedTask(created["task"]!["id"]!.GetValue<string>(), created["internalToken"]!.GetValue<string>());
    }

    /// <summary>POSTs JSON and returns the parsed answer; a non-success status throws with the problem text.</summary>
    public static async Task<JsonNode> PostAsync(HttpClient client, string path, JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await EnsureAsync(response, "POST " + path);
        return JsonNode.Parse(text)!;
    }

    private static async Task<string> EnsureAsync(HttpResponseMessage response, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {text}");
    }
}
