using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Whim.Testing;

namespace Whim.PortMonitor.Tests.Registration;

/// <summary>
/// A small in-test Kestrel implementing the control API's ports contract (COMMON.md): full replace, per-port
/// register, idempotent unregister and list, behind the task's bearer token. <see cref="Down"/> makes it answer 503
/// to everything, standing in for an outage.
/// </summary>
internal sealed class PortsControlApiStandIn : IAsyncDisposable
{
    private readonly ConcurrentDictionary<int, JsonObject> _ports = new();
    private readonly ConcurrentQueue<string> _calls = new();
    private StartedApp? _app;

    public const string Token = "task-token-for-tests-0123456789";

    public bool Down { get; set; }

    /// <summary>Calls answered 503 because the stand-in was down.</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int _refused;

    public string TaskId { get; init; } = "t-42";

    public Uri BaseAddress => _app!.BaseAddress;

    public IReadOnlyList<string> Calls => [.. _calls];

    public IReadOnlyDictionary<int, JsonObject> Ports => new Dictionary<int, JsonObject>(_ports);

    public static async Task<PortsControlApiStandIn> StartAsync()
    {
        var standIn = new PortsControlApiStandIn();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (standIn.Down)
            {
                Interlocked.Increment(ref standIn._refused);
                context.Response.StatusCode = 503;
                return;
            }

            if (context.Request.Headers.Authorization != $"Bearer {Token}")
            {
                context.Response.StatusCode = 401;
                return;
            }

            standIn._calls.Enqueue($"{context.Request.Method} {context.Request.Path}");
            await next();
        });
        app.MapPut("/api/v1/tasks/{taskId}/ports", async (string taskId, HttpRequest request) =>
        {
            if (taskId != standIn.TaskId)
            {
                return Results.NotFound();
            }

            var body = (await JsonNode.ParseAsync(request.Body))!.AsObject();
            standIn._ports.Clear();
            foreach (var entry in body["ports"]!.AsArray())
            {
                standIn._ports[entry!["port"]!.GetValue<int>()] = Validate(entry.AsObject());
            }

            return Results.Json(new { ports = standIn._ports.Count });
        });
        app.MapPut("/api/v1/tasks/{taskId}/ports/{port:int}", async (string taskId, int port, HttpRequest request) =>
        {
            var entry = (await JsonNode.ParseAsync(request.Body))!.AsObject();
            if (taskId != standIn.TaskId || entry["port"]!.GetValue<int>() != port)
            {
                return Results.Problem(title: "port: must match the path", statusCode: 400);
            }

            standIn._ports[port] = Validate(entry);
            return Results.Json(entry);
        });
        app.MapDelete("/api/v1/tasks/{taskId}/ports/{port:int}", (string taskId, int port) =>
        {
            standIn._ports.TryRemove(port, out _);
            return Results.NoContent();
        });
        standIn._app = await StartedApp.StartAsync(app);
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    // The contract's PortEntry, field by field, so a drift in the client's JSON fails here.
    private static JsonObject Validate(JsonObject entry)
    {
        string[] fields = ["port", "family", "address", "pid", "process", "command", "firstSeen", "ready"];
        foreach (var field in fields)
        {
            if (!entry.ContainsKey(field))
            {
                throw new JsonException($"PortEntry lacks '{field}': {entry.ToJsonString()}");
            }
        }

        if (entry.Count != fields.Length)
        {
            throw new JsonException($"PortEntry has extra fields: {entry.ToJsonString()}");
        }

        return entry;
    }
}
