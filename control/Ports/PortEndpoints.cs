using Microsoft.Extensions.Options;
using Whim.Control.Preview;

namespace Whim.Control.Ports;

/// <summary>The port monitor's registrations per task and their preview URLs.</summary>
internal static class PortEndpoints
{
    public static void MapPorts(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tasks/{taskId}/ports").WithTags("Ports");
        group.MapGet(string.Empty, ListAsync).RequireScope(ApiScope.Workspace);
        group.MapPut(string.Empty, ReplaceAsync).RequireScope(ApiScope.TaskRuntime);
        group.MapPut("/{port:int}", UpsertAsync).RequireScope(ApiScope.TaskRuntime);
        group.MapDelete("/{port:int}", async (string taskId, int port, Database db, CancellationToken ct) =>
        {
            await db.WriteAsync(s => s.ExecuteAsync("DELETE FROM ports WHERE task_id = @task AND port = @port", ("@task", taskId), ("@port", (long)port)), ct);
            return Results.NoContent();
        }).RequireScope(ApiScope.TaskRuntime);
    }

    private static async Task<IResult> ListAsync(string taskId, Database db, IOptions<PreviewOptions> preview, CancellationToken ct)
    {
        var (display, rows) = await db.ReadAsync(
            async s => ((string?)await s.ScalarAsync("SELECT display_id FROM tasks WHERE id = @id", ("@id", taskId)),
                await s.QueryAsync(
                    "SELECT port, family, address, pid, process, command, first_seen, ready FROM ports WHERE task_id = @task ORDER BY port",
                    static r => (Port: (int)r.Long(0), Family: r.Text(1), Address: r.Text(2), Pid: (int?)r.NullableLong(3), Process: r.NullableText(4), Command: r.NullableText(5), FirstSeen: r.Time(6), Ready: r.Long(7) != 0),
                    ("@task", taskId))),
            ct);
        if (display is null)
        {
            return Problems.NotFound("The task");
        }

        return Results.Ok(new PortList(rows.ConvertAll(p =>
            new PortView(p.Port, p.Family, p.Address, p.Pid, p.Process, p.Command, p.FirstSeen, p.Ready, preview.Value.UrlFor(p.Port, display)))));
    }

    private static async Task<IResult> ReplaceAsync(string taskId, PortTableRequest request, Database db, TimeProvider time, CancellationToken ct)
    {
        var v = new Validation();
        if (request.Ports is null)
        {
            v.Add("ports", "is required");
        }
        else if (request.Ports.Count > 1000)
        {
            v.Add("ports", "has more than 1000 entries");
        }
        else
        {
            for (var i = 0; i < request.Ports.Count; i++)
            {
                PortRules.Check(v, $"ports[{i}]", request.Ports[i]);
            }

            if (v.IsValid && request.Ports.Select(static p => p.Port).Distinct().Count() != request.Ports.Count)
            {
                v.Add("ports", "lists a port twice");
            }
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        await db.WriteAsync(
            async s =>
            {
                await s.ExecuteAsync("DELETE FROM ports WHERE task_id = @task", ("@task", taskId));
                foreach (var entry in request.Ports!)
                {
                    await UpsertRowAsync(s, taskId, entry, entry.Port!.Value, time);
                }
            },
            ct);
        return Results.NoContent();
    }

    private static async Task<IResult> UpsertAsync(string taskId, int port, PortEntry entry, Database db, TimeProvider time, CancellationToken ct)
    {
        var v = new Validation();
        v.Range("port", port, 1, 65535);
        PortRules.Check(v, string.Empty, entry, port);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        await db.WriteAsync(s => UpsertRowAsync(s, taskId, entry, port, time), ct);
        return Results.NoContent();
    }

    private static Task<int> UpsertRowAsync(DbSession s, string taskId, PortEntry entry, int port, TimeProvider time) =>
        s.ExecuteAsync(
            "INSERT INTO ports (task_id, port, family, address, pid, process, command, first_seen, ready) VALUES (@task, @port, @family, @address, @pid, @process, @command, @seen, @ready) " +
            "ON CONFLICT (task_id, port) DO UPDATE SET family = excluded.family, address = excluded.address, pid = excluded.pid, process = excluded.process, command = excluded.command, ready = excluded.ready",
            ("@task", taskId), ("@port", (long)port), ("@family", entry.Family), ("@address", entry.Address), ("@pid", (long?)entry.Pid), ("@process", entry.Process),
            ("@command", entry.Command), ("@seen", (entry.FirstSeen ?? time.GetUtcNow()).ToUnixTimeMilliseconds()), ("@ready", entry.Ready == false ? 0L : 1L));
}
