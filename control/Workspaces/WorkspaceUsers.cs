namespace Whim.Control.Workspaces;

/// <summary>A member of a workspace with the name and role an assignee picker (and the <c>list_workspace_users</c> tool) shows.</summary>
internal sealed record WorkspaceUser(string UserId, string Name, string Email, string Role);

/// <summary><c>GET /workspaces/{workspaceId}/users</c>: the members readable with any token of the workspace.</summary>
internal static class WorkspaceUserEndpoints
{
    public static void MapWorkspaceUsers(this RouteGroupBuilder api) =>
        api.MapGet("/workspaces/{workspaceId}/users", (string workspaceId, Database database, CancellationToken ct) => database.ReadAsync(
            s => s.QueryAsync(
                "SELECT u.id, u.name, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = @ws ORDER BY u.name, u.id",
                static r => new WorkspaceUser(r.Text(0), r.Text(1), r.Text(2), r.Text(3)),
                ("@ws", workspaceId)),
            ct))
            .RequireScope(ApiScope.Workspace).WithTags("Workspaces");
}
