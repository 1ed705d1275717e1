using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Whim.Control.Tests.Fixtures;
using Xunit;

namespace Whim.Control.Tests.Api;

/// <summary>The API behaviour suite; runs once on SQLite and once on PostgreSQL (derived classes at the bottom).</summary>
public abstract class ApiTests(IBackend backend) : IAsyncLifetime
{
    protected ControlHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await ControlHost.StartAsync(backend);

    public async Task DisposeAsync() => await Host.DisposeAsync();

    [Fact]
    public async Task Tasks_get_display_ids_from_an_atomic_counter_and_matching_branches()
    {
        var ws = await Host.SeedWorkspaceAsync("Whim Web");
        using var client = Host.ClientWith(ws.McpToken);
        var created = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Host.CreateTaskAsync(client, ws.WorkspaceId, launch: false, title: "t" + i)));

        var ids = created.Select(c => c.Task["displayId"]!.GetValue<string>()).ToList();
        ids.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(Enumerable.Range(1, 12).Select(n => $"{ws.Prefix}-{n}"));
        ws.Prefix.Should().StartWith("WW");
        foreach (var (task, _) in created)
        {
            task["branch"]!.GetValue<string>().Should().Be("whim-" + task["displayId"]!.GetValue<string>().ToLowerInvariant());
            task["status"]!.GetValue<string>().Should().Be("todo");
            task["createdBy"]!.GetValue<string>().Should().Be(ws.UserId);
        }
    }

    [Fact]
    public async Task A_todo_keeps_its_fields_is_editable_and_launching_returns_an_internal_token_once()
    {
        var ws = await Host.SeedWorkspaceAsync();
        using var client = Host.ClientWith(ws.McpToken);
        var todo = await ControlHost.PostAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/tasks", new JsonObject
        {
            ["title"] = "Fix login", ["body"] = "**bold**", ["priority"] = "urgent", ["effort"] = "small", ["tags"] = new JsonArray("auth", "bug"),
            ["assigneeId"] = ws.UserId, ["provider"] = "codex", ["model"] = "gpt-5", ["mode"] = "orchestrator", ["sourceBranch"] = "develop",
        });
        var id = todo["task"]!["id"]!.GetValue<string>();
        todo["internalToken"].Should().BeNull();

        using (var patch = await client.PatchAsJsonAsync($"api/v1/tasks/{id}", new JsonObject { ["priority"] = "low", ["body"] = "edited" }))
        {
            patch.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var launched = await ControlHost.PostAsync(client, $"api/v1/tasks/{id}/launch", new JsonObject());
        launched["internalToken"]!.GetValue<string>().Should().StartWith("whim_task_");
        launched["task"]!["status"]!.GetValue<string>().Should().Be("active");

        var task = await ControlHost.GetJsonAsync(client, $"api/v1/tasks/{id}");
        task["priority"]!.GetValue<string>().Should().Be("low");
        task["body"]!.GetValue<string>().Should().Be("edited");
        task["effort"]!.GetValue<string>().Should().Be("small");
        task["tags"]!.AsArray().Select(t => t!.GetValue<string>()).Should().Equal("auth", "bug");
        task["assigneeId"]!.GetValue<string>().Should().Be(ws.UserId);
        task["mode"]!.GetValue<string>().Should().Be("orchestrator");
        task["sourceBranch"]!.GetValue<string>().Should().Be("develop");

        using var again = await client.PostAsJsonAsync($"api/v1/tasks/{id}/launch", new JsonObject());
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        using var frozen = await client.PatchAsJsonAsync($"api/v1/tasks/{id}", new JsonObject { ["body"] = "too late" });
        frozen.StatusCode.Should().Be(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Children_list_under_their_parent_and_status_filters_apply()
    {
        var ws = await Host.SeedWorkspaceAsync();
        using var client = Host.ClientWith(ws.McpToken);
        var (parent, _) = await Host.CreateTaskAsync(client, ws.WorkspaceId);
        var parentId = parent["id"]!.GetValue<string>();
        var child = await ControlHost.PostAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/tasks", new JsonObject { ["title"] = "child", ["parentId"] = parentId });
        await Host.CreateTaskAsync(client, ws.WorkspaceId, launch: false);

        var children = await ControlHost.GetJsonAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/tasks?parentId={parentId}");
        children.AsArray().Select(c => c!["id"]!.GetValue<string>()).Should().Equal(child["task"]!["id"]!.GetValue<string>());
        (await ControlHost.GetJsonAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/tasks?status=todo")).AsArray().Should().HaveCount(2);
        (await ControlHost.GetJsonAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/tasks?status=active")).AsArray().Should().HaveCount(1);

        await ControlHost.PostAsync(client, $"api/v1/tasks/{parentId}/archive", new JsonObject());
        (await ControlHost.GetJsonAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/tasks")).AsArray().Should().HaveCount(2, "archived tasks are hidden by default");
        (await ControlHost.GetJsonAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/tasks?status=all")).AsArray().Should().HaveCount(3);
    }

    [Fact]
    public async Task Comments_thread_under_their_parent_comment()
    {
        var ws = await Host.SeedWorkspaceAsync();
        using var client = Host.ClientWith(ws.McpToken);
        var (task, _) = await Host.CreateTaskAsync(client, ws.WorkspaceId, launch: false);
        var id = task["id"]!.GetValue<string>();
        var root = await ControlHost.PostAsync(client, $"api/v1/tasks/{id}/comments", new JsonObject { ["body"] = "question?" });
        await ControlHost.PostAsync(client, $"api/v1/tasks/{id}/comments", new JsonObject { ["body"] = "answer", ["parentId"] = root["id"]!.GetValue<string>() });

        var comments = (await ControlHost.GetJsonAsync(client, $"api/v1/tasks/{id}/comments")).AsArray();
        comments.Should().HaveCount(2);
        comments[1]!["parentId"]!.GetValue<string>().Should().Be(root["id"]!.GetValue<string>());
        comments[0]!["author"]!.GetValue<string>().Should().Be(ws.UserId);

        using var orphan = await client.PostAsJsonAsync($"api/v1/tasks/{id}/comments", new JsonObject { ["body"] = "x", ["parentId"] = "nope" });
        orphan.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Attachments_store_bytes_and_serve_them_at_their_preview_url()
    {
        var ws = await Host.SeedWorkspaceAsync();
        using var client = Host.ClientWith(ws.McpToken);
        var (task, _) = await Host.CreateTaskAsync(client, ws.WorkspaceId, launch: false);
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var upload = await client.PostAsync($"api/v1/tasks/{task["id"]}/attachments?name=shot.png", content);
        upload.StatusCode.Should().Be(HttpStatusCode.Created);
        var attachment = JsonNode.Parse(await upload.Content.ReadAsStringAsync())!;
        attachment["size"]!.GetValue<long>().Should().Be(bytes.Length);
        attachment["sha256"]!.GetValue<string>().Should().Be(Convert.ToHexStringLower(SHA256.HashData(bytes)));

        var downloaded = await client.GetByteArrayAsync(attachment["previewUrl"]!.GetValue<string>().TrimStart('/'));
        downloaded.Should().Equal(bytes);
        (await ControlHost.GetJsonAsync(client, $"api/v1/tasks/{task["id"]}/attachments")).AsArray().Should().HaveCount(1);
    }

    [Fact]
    public async Task Prompts_queue_and_each_is_claimed_once_by_the_task_itself()
    {
        var ws = await Host.SeedWorkspaceAsync();
        using var client = Host.ClientWith(ws.McpToken);
        var (task, token) = await Host.CreateTaskAsync(client, ws.WorkspaceId);
        var id = task["id"]!.GetValue<string>();
        await ControlHost.PostAsync(client, $"api/v1/tasks/{id}/prompts", new JsonObject { ["body"] = "first" });
        await ControlHost.PostAsync(client, $"api/v1/tasks/{id}/prompts", new JsonObject { ["body"] = "second" });

        using var runtime = Host.ClientWith(token);
        using (var mcpClaim = await client.PostAsync($"api/v1/tasks/{id}/prompts/claim", null))
        {
            mcpClaim.StatusCode.Should().Be(HttpStatusCode.Forbidden, "only the task's own token claims its prompts");
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ControlHost.PostAsync(runtime, $"api/v1/tasks/{id}/prompts/claim", new JsonObject())));
        claims.SelectMany(c => c.AsArray()).Select(p => p!["body"]!.GetValue<string>()).Should().BeEquivalentTo("first", "second");
        (await ControlHost.GetJsonAsync(client, $"api/v1/tasks/{id}/prompts")).AsArray().Should().OnlyContain(p => p!["deliveredAt"] != null);
    }

    [Fact]
    public async Task Effective_config_merges_the_three_layers_by_the_spec_rules()
    {
        var ws = await Host.SeedWorkspaceAsync();
        using var client = Host.ClientWith(ws.McpToken);
        await PutOkAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/config", new JsonObject
        {
            ["instructions"] = "Use tabs.", ["env"] = new JsonObject { ["A"] = "ws", ["B"] = "ws" }, ["model"] = "sonnet", ["permissionMode"] = "plan",
            ["mcpServers"] = new JsonArray(new JsonObject { ["name"] = "docs", ["type"] = "http", ["url"] = "https://ws.example/sse" }),
            ["skills"] = new JsonArray(new JsonObject { ["name"] = "commit", ["content"] = "ws skill" }),
            ["initScript"] = "echo ws",
        });
        await PutOkAsync(Host.Admin, $"api/v1/users/{ws.UserId}/config", new JsonObject
        {
            ["instructions"] = "Be brief.", ["env"] = new JsonObject { ["B"] = "user", ["C"] = "user" }, ["reasoningEffort"] = "high",
            ["mcpServers"] = new JsonArray(new JsonObject { ["name"] = "docs", ["type"] = "stdio", ["command"] = "docs-mcp" }),
        });
        await PutOkAsync(client, $"api/v1/workspaces/{ws.WorkspaceId}/users/{ws.UserId}/config", new JsonObject
        {
            ["instructions"] = "Mine.", ["env"] = new JsonObject { ["C"] = "mine" }, ["permissionMode"] = "acceptEdits",
            ["plugins"] = new JsonArray(new JsonObject { ["name"] = "p1", ["enabled"] = true }),
        });
        var (task, token) = await Host.CreateTaskAsync(client, ws.WorkspaceId);

        using var runtime = Host.ClientWith(token);
        var config = await ControlHost.GetJsonAsync(runtime, $"api/v1/tasks/{task["id"]}/config");
        config["instructions"]!.GetValue<string>().Should().Be("<!-- layer: workspace -->\nUse tabs.\n\n<!-- layer: user -->\nBe brief.\n\n<!-- layer: workspace_user -->\nMine.\n");
        config["env"]!.AsObject().Select(e => (e.Key, e.Value!.GetValue<string>())).Should().Equal(("A", "ws"), ("B", "user"), ("C", "mine"));
        config["mcpServers"]!.AsArray().Should().ContainSingle().Which!["type"]!.GetValue<string>().Should().Be("stdio", "the more specific layer's entry wins whole");
        config["mcpServers"]![0]!["url"].Should().BeNull();
        config["skills"]!.AsArray().Should().ContainSingle();
        config["plugins"]!.AsArray().Should().ContainSingle();
        config["initScript"]!.GetValue<string>().Should().Be("# layer: workspace\necho ws\n");
        config["model"]!.GetValue<string>().Should().Be("sonnet");
        config["permissionMode"]!.GetValue<string>().Should().Be("acceptEdits");
        config["reasoningEffort"]!.GetValue<string>().Should().Be("high");
        config["provider"]!.GetValue<string>().Should().Be("claude");
        config["sources"]!["permissionMode"]!.GetValue<string>().Should().Be("workspace_user");
    }

    [Fact]
    public async Task Ports_register_replace_and_unregister_with_preview_urls()
    {
        var ws = await Host.SeedWorkspaceAsync();
        using var client = Host.ClientWith(ws.McpToken);
        var (task, token) = await Host.CreateTaskAsync(client, ws.WorkspaceId);
        var id = task["id"]!.GetValue<string>();
        using var runtime = Host.ClientWith(token);
        var entry = new JsonObject { ["port"] = 5173, ["family"] = "ipv4", ["address"] = "127.0.0.1", ["pid"] = 42, ["process"] = "node", ["command"] = "npm run dev", ["ready"] = true };
        (await runtime.PutAsJsonAsync($"api/v1/tasks/{id}/ports/5173", entry)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await runtime.PutAsJsonAsync($"api/v1/tasks/{id}/ports/5173", entry)).StatusCode.Should().Be(HttpStatusCode.NoContent, "registration is idempotent");

        var ports = (await ControlHost.GetJsonAsync(client, $"api/v1/tasks/{id}/ports"))["ports"]!.AsArray();
        ports.Should().ContainSingle();
        ports[0]!["previewUrl"]!.GetValue<string>().Should().Be($"http://5173-{task["displayId"]!.GetValue<string>().ToLowerInvariant()}.preview.test/");

        var table = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 3000, ["family"] = "ipv6", ["address"] = "::1" }, new JsonObject { ["port"] = 8000, ["family"] = "ipv4", ["address"] = "0.0.0.0" }) };
        (await runtime.PutAsJsonAsync($"api/v1/tasks/{id}/ports", table)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await runtime.DeleteAsync($"api/v1/tasks/{id}/ports/8000")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await runtime.DeleteAsync($"api/v1/tasks/{id}/ports/8000")).StatusCode.Should().Be(HttpStatusCode.NoContent, "unregistering is idempotent");
        (await ControlHost.GetJsonAsync(client, $"api/v1/tasks/{id}/ports"))["ports"]!.AsArray().Select(p => p!["port"]!.GetValue<int>()).Should().Equal(3000);
    }

    [Fact]
    public async Task History_appends_by_offset_acknowledges_duplicates_refuses_gaps_and_restarts_on_truncate()
    {
        var ws = await Host.SeedWorkspaceAsync();
        using var client = Host.ClientWith(ws.McpToken);
        var (task, token) = await Host.CreateTaskAsync(client, ws.WorkspaceId);
        var id = task["id"]!.GetValue<string>();
        using var runtime = Host.ClientWith(token);
        const string stream = "claude/projects/-app/session.jsonl";
        var first = Encoding.UTF8.GetBytes("{\"type\":\"user\",\"message\":{\"content\":\"please refactor the flux capacitor\"}}\n{\"type\":\"assist");
        var second = Encoding.UTF8.GetBytes("ant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"done with quasar\"}]}}\n");

        (await AppendAsync(runtime, id, stream, 0, first)).Should().Be((HttpStatusCode.OK, first.Length));
        (await AppendAsync(runtime, id, stream, 0, first)).Should().Be((HttpStatusCode.OK, first.Length), "a repeat is acknowledged");
        (await AppendAsync(runtime, id, stream, first.Length + 5, second)).Should().Be((HttpStatusCode.Conflict, first.Length));
        (await AppendAsync(runtime, id, stream, first.Length, second)).Should().Be((HttpStatusCode.OK, first.Length + second.Length));
        (await client.GetByteArrayAsync($"api/v1/tasks/{id}/history/{stream}")).Should().Equal([.. first, .. second]);

        var shell = Encoding.UTF8.GetBytes("#1700000000\ngit status --porcelain\n");
        (await AppendAsync(runtime, id, "shell/bash_history", 0, shell)).Item1.Should().Be(HttpStatusCode.OK);
        var streams = (await ControlHost.GetJsonAsync(client, $"api/v1/tasks/{id}/history"))["streams"]!.AsArray();
        streams.Select(s => (s!["stream"]!.GetValue<string>(), s["kind"]!.GetValue<string>())).Should().BeEquivalentTo([(stream, "conversation"), ("shell/bash_history", "shell")]);

        (await SearchAsync(client, ws.WorkspaceId, "quasar")).Should().ContainSingle().Which.Should().Be(id);
        (await SearchAsync(client, ws.WorkspaceId, "capacitor")).Should().ContainSingle();
        (await SearchAsync(client, ws.WorkspaceId, "porcelain")).Should().ContainSingle();
        (await SearchAsync(client, ws.WorkspaceId, "porcelain&type=conversation")).Should().BeEmpty();

        var fresh = Encoding.UTF8.GetBytes("{\"message\":{\"content\":\"rotated nebula\"}}\n");
        using (var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/tasks/{id}/history/{stream}?offset=0") { Content = new ByteArrayContent(fresh) })
        {
            request.Headers.Add("X-Whim-Sha256", Convert.ToHexStringLower(SHA256.HashData(fresh)));
            request.Headers.Add("X-Whim-Truncate", "true");
            (await runtime.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        (await client.GetByteArrayAsync($"api/v1/tasks/{id}/history/{stream}")).Should().Equal(fresh);
        (await SearchAsync(client, ws.WorkspaceId, "quasar")).Should().BeEmpty("truncation drops the old index");
        (await SearchAsync(client, ws.WorkspaceId, "nebula")).Should().ContainSingle();
    }

    [Fact]
    public async Task History_refuses_a_body_whose_checksum_does_not_match()
    {
        var ws = await Host.SeedWorkspaceAsync();
        using var client = Host.ClientWith(ws.McpToken);
        var (task, token) = await Host.CreateTaskAsync(client, ws.WorkspaceId);
        using var runtime = Host.ClientWith(token);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/tasks/{task["id"]}/history/shell/bash_history?offset=0") { Content = new ByteArrayContent([1, 2, 3]) };
        request.Headers.Add("X-Whim-Sha256", new string('a', 64));
        using var response = await runtime.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("X-Whim-Sha256");
        (await Host.CountRowsAsync("history_streams"))["history_streams"].Should().Be(0);
    }

    [Fact]
    public async Task A_revoked_mcp_token_gets_401_and_tokens_never_reach_the_logs()
    {
        var ws = await Host.SeedWorkspaceAsync();
        using var client = Host.ClientWith(ws.McpToken);
        var (_, taskToken) = await Host.CreateTaskAsync(client, ws.WorkspaceId);
        (await client.GetAsync($"api/v1/workspaces/{ws.WorkspaceId}")).StatusCode.Should().Be(HttpStatusCode.OK);

        (await Host.Admin.DeleteAsync($"api/v1/workspaces/{ws.WorkspaceId}/tokens/{ws.McpTokenId}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await client.GetAsync($"api/v1/workspaces/{ws.WorkspaceId}")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using var bogus = Host.ClientWith("whim_mcp_AAAAAAAAAAAA_" + new string('b', 40));
        (await bogus.GetAsync($"api/v1/workspaces/{ws.WorkspaceId}")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var logs = Host.LogText();
        logs.Should().NotBeEmpty();
        logs.Should().NotContain(ws.McpToken).And.NotContain(taskToken!).And.NotContain(ControlHost.AdminToken);
        logs.Should().NotContain(ws.McpToken.Split('_')[3]);
    }

    [Fact]
    public async Task The_openapi_document_is_served_without_a_token()
    {
        using var anonymous = Host.ClientWith(null);
        var document = await ControlHost.GetJsonAsync(anonymous, "api/v1/openapi.json");
        document["paths"]!.AsObject().Select(p => p.Key).Should().Contain("/api/v1/workspaces/{workspaceId}/tasks");
    }

    private static async Task PutOkAsync(HttpClient client, string path, JsonNode body)
    {
        using var response = await client.PutAsJsonAsync(path, body);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static async Task<(HttpStatusCode, long)> AppendAsync(HttpClient client, string taskId, string stream, long offset, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/v1/tasks/{taskId}/history/{stream}?offset={offset}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Add("X-Whim-Sha256", Convert.ToHexStringLower(SHA256.HashData(body)));
        using var response = await client.SendAsync(request);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (response.StatusCode, json["length"]!.GetValue<long>());
    }

    private static async Task<List<string>> SearchAsync(HttpClient client, string workspaceId, string query)
    {
        var result = await ControlHost.GetJsonAsync(client, $"api/v1/workspaces/{workspaceId}/search?q={query}");
        return [.. result["hits"]!.AsArray().Select(h => h!["taskId"]!.GetValue<string>())];
    }
}

public sealed class SqliteApiTests() : ApiTests(new SqliteBackend());

[Collection(PostgresCollection.Name)]
public sealed class PostgresApiTests(PostgresServer server) : ApiTests(new PostgresBackend(server));
