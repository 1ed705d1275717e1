using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using Whim.Control.Tests.Fixtures;
using Xunit;

namespace Whim.Control.Tests.Api;

/// <summary>
/// Bad input on every write route answers 400 problem+json naming the field, and writes nothing (row counts of
/// every table are compared before and after).
/// </summary>
public abstract partial class BadInputTests(IBackend backend) : IAsyncLifetime
{
    private ControlHost _host = null!;

    public async Task InitializeAsync() => _host = await ControlHost.StartAsync(backend);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Malformed_json_and_wrong_json_types_on_every_json_write_route_are_400_naming_the_field()
    {
        var (values, _) = await SeedAsync();
        var before = await _host.CountRowsAsync(ScopeTests.Tables);
        var writes = ScopeTests.ApiRoutes(_host.Services)
            // The MCP endpoint speaks JSON-RPC, whose errors are protocol errors (tested in Whim.WhimMcp.Tests).
            .Where(r => r.Method is "POST" or "PUT" or "PATCH" && !NoJsonBody.Contains(r.Template)
                && !r.Template.StartsWith("/api/mcp/", StringComparison.Ordinal))
            .ToList();
        writes.Should().HaveCountGreaterThan(15);
        foreach (var (method, template, _) in writes)
        {
            var path = Parameter().Replace(template, m => values[m.Groups[1].Value]).TrimStart('/');
            foreach (var body in new[] { "{\"title\": ", "[1,2]", "\"text\"" })
            {
                var (status, problem) = await SendAsync(method, path, body);
                status.Should().Be(HttpStatusCode.BadRequest, $"{method} {template} with {body}");
                problem!["errors"]!.AsObject().Should().NotBeEmpty($"{method} {template} names the field");
            }
        }

        (await _host.CountRowsAsync(ScopeTests.Tables)).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task Unknown_enums_overlong_strings_and_missing_fields_are_400_naming_the_field_and_write_nothing()
    {
        var (v, taskId) = await SeedAsync();
        var before = await _host.CountRowsAsync(ScopeTests.Tables);
        var longText = new string('x', 100_001);
        var cases = new (string Method, string Path, string Body, string Field)[]
        {
            ("POST", "api/v1/teams", """{"slug":"Bad Slug!","name":"x"}""", "slug"),
            ("POST", "api/v1/teams", """{"name":"x"}""", "slug"),
            ("POST", "api/v1/teams", $$"""{"slug":"ok","name":"{{longText}}"}""", "name"),
            ("POST", "api/v1/workspaces", $$"""{"teamId":"{{v["teamId"]}}","slug":"w","name":"W","idleTimeoutSeconds":-1}""", "idleTimeoutSeconds"),
            ("POST", "api/v1/workspaces", """{"teamId":"nope","slug":"w","name":"W"}""", "teamId"),
            ("POST", "api/v1/workspaces", $$"""{"teamId":"{{v["teamId"]}}","slug":"w","name":"W","prefix":"ab1"}""", "prefix"),
            ("PATCH", $"api/v1/workspaces/{v["workspaceId"]}", """{"idleTimeoutSeconds":999999999}""", "idleTimeoutSeconds"),
            ("POST", "api/v1/users", """{"email":"nope","name":"x"}""", "email"),
            ("PUT", $"api/v1/workspaces/{v["workspaceId"]}/members/{v["userId"]}", """{"role":"owner"}""", "role"),
            ("POST", $"api/v1/workspaces/{v["workspaceId"]}/tokens", """{"userId":"x"}""", "name"),
            ("POST", $"api/v1/workspaces/{v["workspaceId"]}/tasks", """{"title":"x","priority":"super"}""", "priority"),
            ("POST", $"api/v1/workspaces/{v["workspaceId"]}/tasks", """{"title":"x","effort":"huge"}""", "effort"),
            ("POST", $"api/v1/workspaces/{v["workspaceId"]}/tasks", """{"title":"x","mode":"chaos","provider":"gemini"}""", "mode"),
            ("POST", $"api/v1/workspaces/{v["workspaceId"]}/tasks", """{"title":"x","priority":3}""", "priority"),
            ("POST", $"api/v1/workspaces/{v["workspaceId"]}/tasks", $$"""{"title":"{{new string('t', 201)}}"}""", "title"),
            ("POST", $"api/v1/workspaces/{v["workspaceId"]}/tasks", """{"body":"no title"}""", "title"),
            ("POST", $"api/v1/workspaces/{v["workspaceId"]}/tasks", """{"title":"x","tags":[""]}""", "tags[0]"),
            ("POST", $"api/v1/workspaces/{v["workspaceId"]}/tasks", """{"title":"x","parentId":"nope"}""", "parentId"),
            ("POST", $"api/v1/workspaces/{v["workspaceId"]}/tasks", """{"title":"x","assigneeId":"nope"}""", "assigneeId"),
            ("PATCH", $"api/v1/tasks/{taskId}", """{"mode":"chaos"}""", "mode"),
            ("PATCH", $"api/v1/tasks/{taskId}", """{"title":""}""", "title"),
            ("POST", $"api/v1/tasks/{taskId}/comments", "{}", "body"),
            ("POST", $"api/v1/tasks/{taskId}/comments", $$"""{"body":"{{new string('c', 20_001)}}"}""", "body"),
            ("POST", $"api/v1/tasks/{taskId}/prompts", """{"body":"  "}""", "body"),
            ("PUT", $"api/v1/workspaces/{v["workspaceId"]}/config", """{"permissionMode":"yolo"}""", "permissionMode"),
            ("PUT", $"api/v1/workspaces/{v["workspaceId"]}/config", """{"env":{"1BAD":"x"}}""", "env.1BAD"),
            ("PUT", $"api/v1/workspaces/{v["workspaceId"]}/config", """{"mcpServers":[{"name":"x","type":"stdio"}]}""", "mcpServers[0].command"),
            ("PUT", $"api/v1/workspaces/{v["workspaceId"]}/config", """{"skills":[{"name":"a","content":"x"},{"name":"a","content":"y"}]}""", "skills[1].name"),
            ("PUT", $"api/v1/users/{v["userId"]}/config", """{"autoSleepMinutes":61}""", "autoSleepMinutes"),
            ("PUT", $"api/v1/workspaces/{v["workspaceId"]}/users/{v["userId"]}/config", """{"provider":"gemini"}""", "provider"),
            ("PUT", $"api/v1/tasks/{taskId}/ports/3000", """{"family":"ipx","address":"127.0.0.1"}""", "family"),
            ("PUT", $"api/v1/tasks/{taskId}/ports/3000", """{"family":"ipv4","address":"localhost"}""", "address"),
            ("PUT", $"api/v1/tasks/{taskId}/ports", """{"ports":[{"port":70000,"family":"ipv4","address":"127.0.0.1"}]}""", "ports[0].port"),
            ("PUT", $"api/v1/tasks/{taskId}/ports", "{}", "ports"),
            ("PUT", $"api/v1/tasks/{taskId}/machine", """{"localProxyUrl":"ftp://x"}""", "localProxyUrl"),
        };
        foreach (var (method, path, body, field) in cases)
        {
            var (status, problem) = await SendAsync(method, path, body);
            status.Should().Be(HttpStatusCode.BadRequest, $"{method} {path} {body[..Math.Min(80, body.Length)]}");
            problem!["errors"]!.AsObject().Select(e => e.Key).Should().Contain(field, $"{method} {path} names {field}");
        }

        (await _host.CountRowsAsync(ScopeTests.Tables)).Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task Raw_body_routes_reject_bad_names_offsets_and_checksums_naming_the_field()
    {
        var (_, taskId) = await SeedAsync();
        var before = await _host.CountRowsAsync(ScopeTests.Tables);
        var cases = new (string Path, string Field)[]
        {
            ($"api/v1/tasks/{taskId}/attachments", "name"),
            ($"api/v1/tasks/{taskId}/attachments?name=run.exe", "name"),
            ($"api/v1/tasks/{taskId}/history/shell/x?offset=-1", "offset"),
            ($"api/v1/tasks/{taskId}/history/shell/x", "offset"),
            ($"api/v1/tasks/{taskId}/history/shell/{new string('x', 510)}?offset=0", "stream"),
            ($"api/v1/tasks/{taskId}/history/shell/a%01b?offset=0", "stream"),
        };
        foreach (var (path, field) in cases)
        {
            using var request = new HttpRequestMessage(path.Contains("/history/", StringComparison.Ordinal) ? HttpMethod.Put : HttpMethod.Post, path)
            {
                Content = new ByteArrayContent(Encoding.UTF8.GetBytes("data")),
            };
            request.Headers.Add("X-Whim-Sha256", new string('0', 64));
            using var response = await _host.Admin.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, path);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            problem["errors"]!.AsObject().Select(e => e.Key).Should().Contain(field, path);
        }

        (await _host.CountRowsAsync(ScopeTests.Tables)).Should().BeEquivalentTo(before);
    }

    private async Task<(HttpStatusCode, JsonNode?)> SendAsync(string method, string path, string body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _host.Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json", $"{method} {path}: {text}");
        }

        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private async Task<(Dictionary<string, string> Values, string TaskId)> SeedAsync()
    {
        var ws = await _host.SeedWorkspaceAsync();
        using var mcp = _host.ClientWith(ws.McpToken);
        var (task, _) = await _host.CreateTaskAsync(mcp, ws.WorkspaceId);
        var teams = await ControlHost.GetJsonAsync(_host.Admin, "api/v1/teams");
        var taskId = task["id"]!.GetValue<string>();
        var values = new Dictionary<string, string>
        {
            ["workspaceId"] = ws.WorkspaceId, ["taskId"] = taskId, ["userId"] = ws.UserId, ["tokenId"] = ws.McpTokenId, ["teamId"] = teams[0]!["id"]!.GetValue<string>(),
            ["port"] = "3000", ["stream"] = "shell/bash_history", ["imageId"] = "no-such-image", ["branch"] = "main",
        };
        return (values, taskId);
    }

    // Routes whose body is raw bytes or absent: covered by the raw-body test and the lifecycle tests.
    private static readonly HashSet<string> NoJsonBody =
    [
        "/api/v1/tasks/{taskId}/attachments", "/api/v1/tasks/{taskId}/history/{**stream}", "/api/v1/tasks/{taskId}/prompts/claim", "/api/v1/tasks/{taskId}/prompts/{promptId}/delivered",
        "/api/v1/tasks/{taskId}/launch", "/api/v1/tasks/{taskId}/sleep", "/api/v1/tasks/{taskId}/wake", "/api/v1/tasks/{taskId}/complete", "/api/v1/tasks/{taskId}/archive",
        "/api/v1/workspaces/{workspaceId}/images/{imageId}/activate", "/api/v1/workspaces/{workspaceId}/images/{imageId}/deactivate",
    ];

    [GeneratedRegex(@"\{\**(\w+)(?::[^}]*)?\}")]
    private static partial Regex Parameter();
}

public sealed class SqliteBadInputTests() : BadInputTests(new SqliteBackend());

[Collection(PostgresCollection.Name)]
public sealed class PostgresBadInputTests(PostgresServer server) : BadInputTests(new PostgresBackend(server));
