using System.Text.Json;
using Whim.Control.Tasks;

namespace Whim.Control.Config;

/// <summary>The three configuration layers and a task's effective (merged) configuration.</summary>
internal static class ConfigEndpoints
{
    public static void MapConfig(this RouteGroupBuilder api)
    {
        var workspace = api.MapGroup("/workspaces/{workspaceId}").RequireScope(ApiScope.Workspace).WithTags("Config");
        workspace.MapGet("/config", (string workspaceId, Database db, CancellationToken ct) => ReadAsync(db, ConfigLayerNames.Workspace, workspaceId, string.Empty, ct));
        workspace.MapPut("/config", (string workspaceId, ConfigLayer layer, Database db, TimeProvider time, CancellationToken ct) =>
            WriteAsync(db, time, ConfigLayerNames.Workspace, workspaceId, string.Empty, layer, ct));
        workspace.MapGet("/users/{userId}/config", (string workspaceId, string userId, Database db, CancellationToken ct) =>
            ReadAsync(db, ConfigLayerNames.WorkspaceUser, workspaceId, userId, ct));
        workspace.MapPut("/users/{userId}/config", (string workspaceId, string userId, ConfigLayer layer, Database db, TimeProvider time, CancellationToken ct) =>
            WriteAsync(db, time, ConfigLayerNames.WorkspaceUser, workspaceId, userId, layer, ct));

        var user = api.MapGroup("/users/{userId}").RequireScope(ApiScope.Admin).WithTags("Config");
        user.MapGet("/config", (string userId, Database db, CancellationToken ct) => ReadAsync(db, ConfigLayerNames.User, string.Empty, userId, ct));
        user.MapPut("/config", (string userId, ConfigLayer layer, Database db, TimeProvider time, CancellationToken ct) =>
            WriteAsync(db, time, ConfigLayerNames.User, string.Empty, userId, layer, ct));

        api.MapGet("/tasks/{taskId}/config", EffectiveAsync).RequireScope(ApiScope.Workspace).WithTags("Config");
    }

    private static async Task<IResult> ReadAsync(Database db, string layer, string workspaceId, string userId, CancellationToken ct) =>
        Results.Ok(await db.ReadAsync(s => LoadAsync(s, layer, workspaceId, userId), ct));

    private static async Task<ConfigLayer> LoadAsync(DbSession s, string layer, string workspaceId, string userId)
    {
        var document = (string?)await s.ScalarAsync(
            "SELECT document FROM config_layers WHERE layer = @layer AND workspace_id = @ws AND user_id = @user",
            ("@layer", layer), ("@ws", workspaceId), ("@user", userId));
        return document is null ? ConfigLayer.Empty : JsonSerializer.Deserialize(document, ControlJson.Default.ConfigLayer) ?? ConfigLayer.Empty;
    }

    private static async Task<IResult> WriteAsync(Database db, TimeProvider time, string layer, string workspaceId, string userId, ConfigLayer document, CancellationToken ct)
    {
        var v = new Validation();
        ConfigRules.Check(v, document);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var missing = await db.WriteAsync(
            async s =>
            {
                if (userId.Length > 0 && await s.CountAsync("SELECT COUNT(*) FROM users WHERE id = @id", ("@id", userId)) == 0)
                {
                    return "The user";
                }

                if (workspaceId.Length > 0 && await s.CountAsync("SELECT COUNT(*) FROM workspaces WHERE id = @id", ("@id", workspaceId)) == 0)
                {
                    return "The workspace";
                }

                await s.ExecuteAsync(
                    "INSERT INTO config_layers (layer, workspace_id, user_id, document, updated_at) VALUES (@layer, @ws, @user, @doc, @at) " +
                    "ON CONFLICT (layer, workspace_id, user_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
                    ("@layer", layer), ("@ws", workspaceId), ("@user", userId), ("@doc", JsonSerializer.Serialize(document, ControlJson.Default.ConfigLayer)), ("@at", time.Millis()));
                return null;
            },
            ct);
        return missing is null ? Results.Ok(document) : Problems.NotFound(missing);
    }

    private static async Task<IResult> EffectiveAsync(string taskId, Database db, CancellationToken ct)
    {
        var merged = await db.ReadAsync<EffectiveConfig?>(
            async s =>
            {
                var task = await TaskStore.GetAsync(s, taskId);
                if (task is null)
                {
                    return null;
                }

                var ws = task.View.WorkspaceId;
                var user = task.View.CreatedBy ?? string.Empty;
                var layers = new List<(string, ConfigLayer)> { (ConfigLayerNames.Workspace, await LoadAsync(s, ConfigLayerNames.Workspace, ws, string.Empty)) };
                if (user.Length > 0)
                {
                    layers.Add((ConfigLayerNames.User, await LoadAsync(s, ConfigLayerNames.User, string.Empty, user)));
                    layers.Add((ConfigLayerNames.WorkspaceUser, await LoadAsync(s, ConfigLayerNames.WorkspaceUser, ws, user)));
                }

                // The task's own choices (set when it was created) are the most specific layer of the replaced settings.
                layers.Add(("task", ConfigLayer.Empty with { Model = task.View.Model, Provider = task.View.Provider }));
                return ConfigLayerMerger.Merge(taskId, layers);
            },
            ct);
        return merged is null ? Problems.NotFound("The task") : Results.Ok(merged);
    }
}
