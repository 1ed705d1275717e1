using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Whim.Control.Images.Builds;
using Whim.Control.Images.Machines;
using Whim.Control.Tests.Fixtures;
using Whim.Testing;
using Xunit;

namespace Whim.Control.Tests.Images;

/// <summary>
/// The image and reserve routes on the real control API (SQLite), with the builder and the machine provider
/// replaced by in-process fakes (the real buildah/podman paths are tested in Whim.Control.Images.Tests).
/// </summary>
public sealed class ImageRoutesTests : IAsyncLifetime
{
    private const string Valid = "ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\nRUN echo hello\n";
    private readonly ScriptedBuilder _builder = new();
    private readonly MemoryMachines _machines = new();
    private ControlHost _host = null!;
    private Seeded _ws = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await ControlHost.StartAsync(
            new SqliteBackend(),
            services =>
            {
                services.AddSingleton<IImageBuilder>(_builder);
                services.AddSingleton<IMachineProvider>(_machines);
            },
            "--IMAGES:RECONCILEINTERVAL", "00:00:00.100");
        _ws = await _host.SeedWorkspaceAsync();
        _client = _host.ClientWith(_ws.McpToken);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private string Images => $"api/v1/workspaces/{_ws.WorkspaceId}/images";

    private string Reserves => $"api/v1/workspaces/{_ws.WorkspaceId}/reserves";

    private string Branches => $"api/v1/workspaces/{_ws.WorkspaceId}/branches";

    private async Task<JsonNode> BuildAsync(JsonObject body)
    {
        using var response = await _client.PostAsJsonAsync(Images, body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, text);
        var image = JsonNode.Parse(text)!;
        response.Headers.Location!.ToString().Should().EndWith("/images/" + image["id"]!.GetValue<string>());
        image["status"]!.GetValue<string>().Should().Be("building");
        return image;
    }

    private async Task<JsonNode> UntilBuiltAsync(string id)
    {
        JsonNode image = null!;
        await Eventually.UntilAsync(
            async () => (image = await ControlHost.GetJsonAsync(_client, $"{Images}/{id}"))["status"]!.GetValue<string>() != "building",
            "the build to end");
        return image;
    }

    private static async Task<JsonNode> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        response.StatusCode.Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task Pasted_dockerfile_build_is_accepted_then_ready_active_and_its_log_is_stored()
    {
        var accepted = await BuildAsync(new JsonObject { ["dockerfile"] = Valid, ["secrets"] = new JsonObject { ["NPM_TOKEN"] = "npm-secret-value-123" } });

        var image = await UntilBuiltAsync(accepted["id"]!.GetValue<string>());

        image["status"]!.GetValue<string>().Should().Be("ready");
        image["source"]!.GetValue<string>().Should().Be("manual");
        image["compatible"]!.GetValue<bool>().Should().BeTrue();
        image["active"]!.GetValue<bool>().Should().BeTrue("builds from settings auto-activate once compatible");
        image["log"]!.AsArray().Select(l => l!.GetValue<string>()).Should().Equal("STEP 1/3: ARG RUNNER_COMPAT_REF", "build line 2", "compatible");
        var list = await ControlHost.GetJsonAsync(_client, Images);
        list.AsArray().Should().ContainSingle().Which!["log"].Should().BeNull("the list leaves logs out");
        _builder.Secrets.Should().ContainSingle().Which.Should().Be("NPM_TOKEN");
    }

    [Fact]
    public async Task Invalid_dockerfile_is_400_naming_the_dockerfile_with_line_numbers_and_stores_nothing()
    {
        using var response = await _client.PostAsJsonAsync(Images, new JsonObject { ["dockerfile"] = "FROM ubuntu\nCOPY . /app\n" });

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        problem["errors"]!["dockerfile"]!.AsArray().Select(e => e!.GetValue<string>()).Should().Contain(e => e.StartsWith("line 1:")).And.Contain(e => e.StartsWith("line 2:"));
        (await ControlHost.GetJsonAsync(_client, Images)).AsArray().Should().BeEmpty();
    }

    [Theory]
    [InlineData("{}", "dockerfile")]
    [InlineData("""{"branch":"main"}""", "checkoutPath")]
    [InlineData("""{"branch":"bad..name","checkoutPath":"/tmp"}""", "branch")]
    [InlineData("""{"dockerfile":"ARG RUNNER_COMPAT_REF\nFROM ${RUNNER_COMPAT_REF}\n","secrets":{"1BAD":"x"}}""", "secrets.1BAD")]
    [InlineData("""{"dockerfile":"x","branch":"main"}""", "branch")]
    public async Task Bad_build_requests_are_400_naming_the_field(string body, string field)
    {
        using var response = await _client.PostAsync(Images, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        problem["errors"]!.AsObject().Select(e => e.Key).Should().Contain(field);
    }

    [Fact]
    public async Task Failed_image_cannot_be_activated_and_deactivating_falls_back_to_the_default_runtime()
    {
        _builder.Succeeds = false;
        var failed = await UntilBuiltAsync((await BuildAsync(new JsonObject { ["dockerfile"] = Valid }))["id"]!.GetValue<string>());
        failed["status"]!.GetValue<string>().Should().Be("failed");
        using (var refused = await _client.PostAsync($"{Images}/{failed["id"]}/activate", null))
        {
            (await ProblemAsync(refused, HttpStatusCode.Conflict))["detail"]!.GetValue<string>().Should().Contain("Failed");
        }

        _builder.Succeeds = true;
        var ready = await UntilBuiltAsync((await BuildAsync(new JsonObject { ["dockerfile"] = Valid, ["autoActivate"] = false }))["id"]!.GetValue<string>());
        ready["active"]!.GetValue<bool>().Should().BeFalse();
        var activated = await ControlHost.PostAsync(_client, $"{Images}/{ready["id"]}/activate", new JsonObject());
        activated["active"]!.GetValue<bool>().Should().BeTrue();
        await ControlHost.PutTrackedAsync(_client, $"{Branches}/main", isDefault: true);
        (await ControlHost.GetJsonAsync(_client, $"{Reserves}/main"))["imageRef"]!.GetValue<string>().Should().Be(ready["imageRef"]!.GetValue<string>());

        var deactivated = await ControlHost.PostAsync(_client, $"{Images}/{ready["id"]}/deactivate", new JsonObject());

        deactivated["active"]!.GetValue<bool>().Should().BeFalse();
        (await ControlHost.GetJsonAsync(_client, $"{Reserves}/main"))["imageRef"]!.GetValue<string>().Should().Be("localhost/whim-runner:latest");
        (await _client.PostAsync($"{Images}/nope/activate", null)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Reserve_target_of_a_tracked_branch_is_kept_by_the_reconciler_and_untracking_drops_it()
    {
        await ControlHost.PutTrackedAsync(_client, $"{Branches}/main", isDefault: true);
        var feature = await ControlHost.PutTrackedAsync(_client, $"{Branches}/feature/login", isDefault: false);
        feature["isDefault"]!.GetValue<bool>().Should().BeFalse();

        var set = await _client.PutAsJsonAsync($"{Reserves}/feature/login", new JsonObject { ["target"] = 2 });
        set.StatusCode.Should().Be(HttpStatusCode.OK);
        await Eventually.UntilAsync(async () => (await ControlHost.GetJsonAsync(_client, $"{Reserves}/feature/login"))["warm"]!.GetValue<int>() == 2, "two warm reserves");
        _machines.Paused.Should().Be(2);

        var list = await ControlHost.GetJsonAsync(_client, Reserves);
        list.AsArray().Select(b => b!["branch"]!.GetValue<string>()).Should().Equal("main", "feature/login");

        using (var untrackDefault = await _client.DeleteAsync($"{Branches}/main"))
        {
            await ProblemAsync(untrackDefault, HttpStatusCode.Conflict);
        }

        (await _client.DeleteAsync($"{Branches}/feature/login")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await Eventually.UntilAsync(() => Task.FromResult(_machines.Count == 0), "the untracked branch's reserves to be removed");
        (await _client.GetAsync($"{Reserves}/feature/login")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"target":21}""", "target")]
    [InlineData("""{"target":-1}""", "target")]
    [InlineData("{}", "target")]
    [InlineData("""{"target":"two"}""", "target")]
    public async Task Reserve_target_outside_zero_to_twenty_is_400_naming_target(string body, string field)
    {
        await ControlHost.PutTrackedAsync(_client, $"{Branches}/main", isDefault: true);

        using var response = await _client.PutAsync($"{Reserves}/main", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        problem["errors"]!.AsObject().Select(e => e.Key).Should().Contain(field);
    }

    [Fact]
    public async Task Target_of_an_untracked_branch_is_404_and_a_bad_branch_name_is_400()
    {
        using (var untracked = await _client.PutAsJsonAsync($"{Reserves}/nobody", new JsonObject { ["target"] = 1 }))
        {
            await ProblemAsync(untracked, HttpStatusCode.NotFound);
        }

        using var bad = await _client.PutAsJsonAsync($"{Branches}/bad..name", new JsonObject());
        (await ProblemAsync(bad, HttpStatusCode.BadRequest))["errors"]!["branch"].Should().NotBeNull();
    }

    [Fact]
    public async Task Only_workspace_admins_build_activate_track_and_set_reserves_others_may_read()
    {
        await ControlHost.PutTrackedAsync(_client, $"{Branches}/main", isDefault: true);
        (await _host.Admin.PutAsJsonAsync($"api/v1/workspaces/{_ws.WorkspaceId}/members/{_ws.UserId}", new JsonObject { ["role"] = "editor" })).EnsureSuccessStatusCode();

        var writes = new (HttpMethod Method, string Path, JsonObject? Body)[]
        {
            (HttpMethod.Post, Images, new JsonObject { ["dockerfile"] = Valid }),
            (HttpMethod.Post, $"{Images}/any/activate", null),
            (HttpMethod.Post, $"{Images}/any/deactivate", null),
            (HttpMethod.Put, $"{Reserves}/main", new JsonObject { ["target"] = 1 }),
            (HttpMethod.Put, $"{Branches}/feature", new JsonObject()),
            (HttpMethod.Delete, $"{Branches}/main", null),
        };
        foreach (var (method, path, body) in writes)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await _client.SendAsync(request);
            (await ProblemAsync(response, HttpStatusCode.Forbidden))["detail"]!.GetValue<string>().Should().Contain("admins", $"{method} {path}");
        }

        (await ControlHost.GetJsonAsync(_client, Reserves)).AsArray().Should().ContainSingle().Which!["target"]!.GetValue<int>().Should().Be(0);
        (await ControlHost.GetJsonAsync(_client, Images)).AsArray().Should().BeEmpty();
    }

    /// <summary>Answers builds from a script: a few log lines, success or failure, always compatible.</summary>
    private sealed class ScriptedBuilder : IImageBuilder
    {
        public bool Succeeds { get; set; } = true;

        public ConcurrentQueue<string> Secrets { get; } = new();

        public Task<bool> BuildAsync(BuildRequest request, Action<string> log, CancellationToken cancellationToken)
        {
            foreach (var id in request.Secrets.Keys)
            {
                Secrets.Enqueue(id);
            }

            log("STEP 1/3: ARG RUNNER_COMPAT_REF");
            log("build line 2");
            return Task.FromResult(Succeeds);
        }

        public Task<bool> CheckCompatibilityAsync(string imageRef, Action<string> log, CancellationToken cancellationToken)
        {
            log("compatible");
            return Task.FromResult(true);
        }
    }
}
