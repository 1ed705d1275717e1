using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Whim.Control.Tests.Fixtures;
using Whim.Control.Tokens;
using Xunit;

namespace Whim.Control.Tests.Api;

/// <summary>
/// Every <c>/api/v1</c> route, read from the app's own <see cref="EndpointDataSource"/> so a new route cannot escape:
/// it declares a scope, and tokens of workspace A (MCP and task) get 401/403/404 on workspace B's resources.
/// </summary>
public abstract partial class ScopeTests(IBackend backend) : IAsyncLifetime
{
    private ControlHost _host = null!;

    public async Task InitializeAsync() => _host = await ControlHost.StartAsync(backend);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    internal static List<(string Method, string Template, ScopeMetadata? Scope)> ApiRoutes(IServiceProvider services) =>
        [.. services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (m, e.RoutePattern.RawText!, e.Metadata.GetMetadata<ScopeMetadata>())))];

    [Fact]
    public void Every_api_route_declares_a_scope()
    {
        var routes = ApiRoutes(_host.Services);
        routes.Should().HaveCountGreaterThan(40);
        routes.Where(r => r.Scope is null).Should().BeEmpty();
        routes.Where(r => r.Scope!.Scope == ApiScope.Anonymous).Select(r => r.Template).Should().Equal("/api/{documentName}/openapi.json");
    }

    [Fact]
    public async Task Tokens_of_workspace_A_never_reach_workspace_B_resources()
    {
        var a = await _host.SeedWorkspaceAsync("Alpha");
        var b = await _host.SeedWorkspaceAsync("Beta");
        using var aMcp = _host.ClientWith(a.McpToken);
        using var bMcp = _host.ClientWith(b.McpToken);
        var (_, aTaskToken) = await _host.CreateTaskAsync(aMcp, a.WorkspaceId);
        var (bTask, bTaskToken) = await _host.CreateTaskAsync(bMcp, b.WorkspaceId);
        var bTaskId = bTask["id"]!.GetValue<string>();
        var comment = await ControlHost.PostAsync(bMcp, $"api/v1/tasks/{bTaskId}/comments", new JsonObject { ["body"] = "secret" });
        using var file = new ByteArrayContent([1, 2, 3]);
        using var upload = await bMcp.PostAsync($"api/v1/tasks/{bTaskId}/attachments?name=a.txt", file);
        var attachment = JsonNode.Parse(await upload.Content.ReadAsStringAsync())!;
        var prompt = await ControlHost.PostAsync(bMcp, $"api/v1/tasks/{bTaskId}/prompts", new JsonObject { ["body"] = "for B only" });
        await ControlHost.PutTrackedAsync(bMcp, $"api/v1/workspaces/{b.WorkspaceId}/branches/feature", isDefault: false);
        var before = await _host.CountRowsAsync(Tables);
        var bSlug = JsonNode.Parse(await bMcp.GetStringAsync($"api/v1/workspaces/{b.WorkspaceId}"))!["slug"]!.GetValue<string>();

        var values = new Dictionary<string, string>
        {
            ["workspaceId"] = b.WorkspaceId, ["taskId"] = bTaskId, ["userId"] = b.UserId, ["tokenId"] = b.McpTokenId,
            ["commentId"] = comment["id"]!.GetValue<string>(), ["attachmentId"] = attachment["id"]!.GetValue<string>(), ["port"] = "5173",
            ["stream"] = "shell/bash_history", ["documentName"] = "v1", ["team"] = bSlug, ["workspace"] = bSlug,
            ["imageId"] = "img", ["branch"] = "feature", ["promptId"] = prompt["id"]!.GetValue<string>(),
        };
        using var anonymous = _host.ClientWith(null);
        using var aTask = _host.ClientWith(aTaskToken);
        var checkedRoutes = 0;
        foreach (var (method, template, scope) in ApiRoutes(_host.Services).Where(r => r.Scope!.Scope != ApiScope.Anonymous))
        {
            var path = Parameter().Replace(template, m => values[m.Groups[1].Value]).TrimStart('/');
            foreach (var (client, allowed) in new[] { (aMcp, new[] { 403, 404 }), (aTask, new[] { 403, 404 }), (anonymous, new[] { 401 }) })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method is "GET" or "DELETE" ? null : JsonContent.Create(new JsonObject()) };
                using var response = await client.SendAsync(request);
                ((int)response.StatusCode).Should().BeOneOf(allowed, $"{method} {template} ({scope!.Scope}) must not serve another workspace");
            }

            checkedRoutes++;
        }

        checkedRoutes.Should().BeGreaterThan(40);
        (await _host.CountRowsAsync(Tables)).Should().BeEquivalentTo(before, "nothing of workspace B changed");
        (await bMcp.GetAsync($"api/v1/workspaces/{b.WorkspaceId}")).StatusCode.Should().Be(HttpStatusCode.OK, "B's token was not revoked");
        using var bRuntime = _host.ClientWith(bTaskToken);
        (await ControlHost.PostAsync(bRuntime, $"api/v1/tasks/{bTaskId}/prompts/claim", new JsonObject())).AsArray().Should().ContainSingle("A could not claim B's prompt");
    }

    [Fact]
    public async Task A_task_token_may_not_write_another_tasks_runtime_routes_in_its_own_workspace()
    {
        var a = await _host.SeedWorkspaceAsync();
        using var mcp = _host.ClientWith(a.McpToken);
        var (_, token1) = await _host.CreateTaskAsync(mcp, a.WorkspaceId);
        var (task2, _) = await _host.CreateTaskAsync(mcp, a.WorkspaceId);
        using var runtime1 = _host.ClientWith(token1);
        using var ports = await runtime1.PutAsJsonAsync($"api/v1/tasks/{task2["id"]}/ports/3000", new JsonObject { ["family"] = "ipv4", ["address"] = "127.0.0.1" });
        ports.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var body = Encoding.UTF8.GetBytes("ls\n");
        using var history = new HttpRequestMessage(HttpMethod.Put, $"api/v1/tasks/{task2["id"]}/history/shell/bash_history?offset=0") { Content = new ByteArrayContent(body) };
        history.Headers.Add("X-Whim-Sha256", Convert.ToHexStringLower(SHA256.HashData(body)));
        (await runtime1.SendAsync(history)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await runtime1.GetAsync($"api/v1/tasks/{task2["id"]}")).StatusCode.Should().Be(HttpStatusCode.OK, "reading a sibling task of its workspace is allowed");
    }

    internal static readonly string[] Tables =
        ["teams", "workspaces", "users", "memberships", "tasks", "comments", "attachments", "prompts", "config_layers", "tokens", "ports", "history_streams", "history_text",
         "workspace_images", "tracked_branches", "reserve_pools", "reserve_ledger"];

    [GeneratedRegex(@"\{\**(\w+)(?::[^}]*)?\}")]
    private static partial Regex Parameter();
}

public sealed class SqliteScopeTests() : ScopeTests(new SqliteBackend());

[Collection(PostgresCollection.Name)]
public sealed class PostgresScopeTests(PostgresServer server) : ScopeTests(new PostgresBackend(server));
