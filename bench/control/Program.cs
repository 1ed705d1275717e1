using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Whim.Control;
using Whim.Control.Tests.Fixtures;
using Whim.Testing;

// Usage: dotnet run -c Release --project bench/control -- [--seconds 60] [--clients 200] [--db sqlite|postgres|both]
var seconds = IntArg("--seconds", 60);
var clients = IntArg("--clients", 200);
var db = Arg("--db") ?? "both";
var failed = false;

// The control API runs in this process beside the clients; Microsoft.Data.Sqlite does its I/O synchronously, so give
// the pool room for 200 concurrent requests instead of measuring thread injection.
ThreadPool.SetMinThreads(clients + 50, clients + 50);

if (db is "sqlite" or "both")
{
    failed |= await RunAsync("sqlite", null);
}

if (db is "postgres" or "both")
{
    await using var postgres = new ThrowawayPostgres { PoolSize = 100 };
    await postgres.StartAsync();
    failed |= await RunAsync("postgres", await postgres.CreateDatabaseAsync());
}

return failed ? 1 : 0;

async Task<bool> RunAsync(string name, string? connection)
{
    const string admin = "bench-admin-token-0123456789abcdef";
    using var root = new TempRoot("whim-control-bench-");
    var app = ControlApp.Build(["--urls", "http://127.0.0.1:0", "--ROOT", root.Path, "--ADMIN_TOKEN", admin, "--DATABASE", connection ?? string.Empty, "--LOG_LEVEL", "Warning"]);
    await using var started = await StartedApp.StartAsync(app);
    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients + 10, UseProxy = false };
    using var http = new HttpClient(handler) { BaseAddress = started.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);

    var team = await PostAsync(http, "api/v1/teams", new JsonObject { ["slug"] = "bench", ["name"] = "Bench" });
    var ws = await PostAsync(http, "api/v1/workspaces", new JsonObject { ["teamId"] = team["id"]!.GetValue<string>(), ["slug"] = "bench", ["name"] = "Bench Load" });
    var user = await PostAsync(http, "api/v1/users", new JsonObject { ["email"] = "bench@example.com", ["name"] = "Bench" });
    var workspaceId = ws["id"]!.GetValue<string>();
    (await http.PutAsJsonAsync($"api/v1/workspaces/{workspaceId}/members/{user["id"]}", new JsonObject { ["role"] = "admin" })).EnsureSuccessStatusCode();
    var token = (await PostAsync(http, $"api/v1/workspaces/{workspaceId}/tokens", new JsonObject { ["name"] = "bench", ["userId"] = user["id"]!.GetValue<string>() }))["token"]!.GetValue<string>();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    var seed = await PostAsync(http, $"api/v1/workspaces/{workspaceId}/tasks", new JsonObject { ["title"] = "seed" });

    var ids = new List<string> { seed["task"]!["id"]!.GetValue<string>() };
    var idsLock = new Lock();
    var latencies = new List<(string Op, double Ms)>[clients];
    var errors = 0L;
    var deadline = Stopwatch.StartNew();
    var duration = TimeSpan.FromSeconds(seconds);
    var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
    {
        var mine = latencies[c] = new List<(string, double)>(4096);
        var random = new Random(c);
        while (deadline.Elapsed < duration)
        {
            var roll = random.Next(10);
            var op = roll < 4 ? "list" : roll < 7 ? "create" : "get";
            var start = Stopwatch.GetTimestamp();
            try
            {
                switch (op)
                {
                    case "list":
                        using (var r = await http.GetAsync($"api/v1/workspaces/{workspaceId}/tasks?limit=20"))
                        {
                            r.EnsureSuccessStatusCode();
                            await r.Content.ReadAsByteArrayAsync();
                        }

                        break;
                    case "create":
                        using (var r = await http.PostAsJsonAsync($"api/v1/workspaces/{workspaceId}/tasks", new JsonObject { ["title"] = "bench " + c, ["priority"] = "high", ["tags"] = new JsonArray("bench") }))
                        {
                            r.EnsureSuccessStatusCode();
                            var created = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
                            lock (idsLock)
                            {
                                ids.Add(created["task"]!["id"]!.GetValue<string>());
                            }
                        }

                        break;
                    default:
                        string id;
                        lock (idsLock)
                        {
                            id = ids[random.Next(ids.Count)];
                        }

                        using (var r = await http.GetAsync($"api/v1/tasks/{id}"))
                        {
                            r.EnsureSuccessStatusCode();
                            await r.Content.ReadAsByteArrayAsync();
                        }

                        break;
                }

                mine.Add((op, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                if (Interlocked.Increment(ref errors) <= 5)
                {
                    Console.Error.WriteLine($"{name} {op}: {e.Message}");
                }
            }
        }
    })).ToArray();
    await Task.WhenAll(workers);
    var elapsed = deadline.Elapsed.TotalSeconds;

    var all = latencies.SelectMany(l => l).ToList();
    Console.WriteLine($"[{name}] clients={clients} duration={elapsed:0.0}s ops={all.Count} errors={errors} throughput={all.Count / elapsed:0} ops/s p50={Percentile(all, 0.50):0.0}ms p99={Percentile(all, 0.99):0.0}ms");
    foreach (var group in all.GroupBy(l => l.Op).OrderBy(g => g.Key, StringComparer.Ordinal))
    {
        var list = group.ToList();
        Console.WriteLine($"[{name}]   {group.Key,-6} ops={list.Count} p50={Percentile(list, 0.50):0.0}ms p99={Percentile(list, 0.99):0.0}ms");
    }

    return errors > 0;
}

static double Percentile(List<(string Op, double Ms)> samples, double p)
{
    if (samples.Count == 0)
    {
        return 0;
    }

    var sorted = samples.Select(s => s.Ms).Order().ToArray();
    return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

static async Task<JsonNode> PostAsync(HttpClient http, string path, JsonNode body)
{
    using var response = await http.PostAsJsonAsync(path, body);
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
    }

    return JsonNode.Parse(text)!;
}

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

int IntArg(string name, int fallback) => int.TryParse(Arg(name), out var v) ? v : fallback;
