using System.Data.Common;

namespace Whim.Control.Workspaces;

/// <summary>Teams, workspaces, users and membership rows.</summary>
internal sealed class WorkspaceStore(Database database, TimeProvider time)
{
    private const string WorkspaceColumns = "id, team_id, slug, name, prefix, idle_timeout_seconds, created_at";

    public Task<Team> CreateTeamAsync(string slug, string name, CancellationToken ct) =>
        database.WriteAsync(
            async s =>
            {
                var team = new Team(Ids.New(), slug, name, time.GetUtcNow());
                await s.ExecuteAsync(
                    "INSERT INTO teams (id, slug, name, created_at) VALUES (@id, @slug, @name, @at)",
                    ("@id", team.Id), ("@slug", slug), ("@name", name), ("@at", team.CreatedAt.ToUnixTimeMilliseconds()));
                return team;
            },
            ct);

    public Task<List<Team>> ListTeamsAsync(CancellationToken ct) =>
        database.ReadAsync(s => s.QueryAsync("SELECT id, slug, name, created_at FROM teams ORDER BY created_at", static r => new Team(r.Text(0), r.Text(1), r.Text(2), r.Time(3))), ct);

    /// <summary>Creates a workspace; null when the team does not exist.</summary>
    public Task<Workspace?> CreateWorkspaceAsync(string teamId, string slug, string name, string? prefix, int idleTimeoutSeconds, CancellationToken ct) =>
        database.WriteAsync(
            async s =>
            {
                if (await s.CountAsync("SELECT COUNT(*) FROM teams WHERE id = @id", ("@id", teamId)) == 0)
                {
                    return null;
                }

                var taken = (await s.QueryAsync("SELECT prefix FROM workspaces", static r => r.Text(0))).ToHashSet(StringComparer.Ordinal);
                var workspace = new Workspace(Ids.New(), teamId, slug, name, DisplayIds.Unique(prefix ?? DisplayIds.Prefix(name), taken), idleTimeoutSeconds, time.GetUtcNow());
                await s.ExecuteAsync(
                    "INSERT INTO workspaces (id, team_id, slug, name, prefix, task_counter, idle_timeout_seconds, created_at) VALUES (@id, @team, @slug, @name, @prefix, 0, @idle, @at)",
                    ("@id", workspace.Id), ("@team", teamId), ("@slug", slug), ("@name", name), ("@prefix", workspace.Prefix),
                    ("@idle", (long)idleTimeoutSeconds), ("@at", workspace.CreatedAt.ToUnixTimeMilliseconds()));
                return workspace;
            },
            ct);

    public Task<Workspace?> GetWorkspaceAsync(string id, CancellationToken ct) =>
        database.ReadAsync(s => s.SingleAsync($"SELECT {WorkspaceColumns} FROM workspaces WHERE id = @id", MapWorkspace, ("@id", id)), ct);

    public Task<List<Workspace>> ListWorkspacesAsync(CancellationToken ct) =>
        database.ReadAsync(s => s.QueryAsync($"SELECT {WorkspaceColumns} FROM workspaces ORDER BY created_at", MapWorkspace), ct);

    public Task<Workspace?> UpdateWorkspaceAsync(string id, string? name, int? idleTimeoutSeconds, CancellationToken ct) =>
        database.WriteAsync(
            async s =>
            {
                await s.ExecuteAsync(
                    "UPDATE workspaces SET name = COALESCE(@name, name), idle_timeout_seconds = COALESCE(@idle, idle_timeout_seconds) WHERE id = @id",
                    ("@name", name), ("@idle", (long?)idleTimeoutSeconds), ("@id", id));
                return await s.SingleAsync($"SELECT {WorkspaceColumns} FROM workspaces WHERE id = @id", MapWorkspace, ("@id", id));
            },
            ct);

    public Task<User> CreateUserAsync(string email, string name, CancellationToken ct) =>
        database.WriteAsync(
            async s =>
            {
                var user = new User(Ids.New(), email, name, time.GetUtcNow());
                await s.ExecuteAsync(
                    "INSERT INTO users (id, email, name, created_at) VALUES (@id, @email, @name, @at)",
                    ("@id", user.Id), ("@email", email), ("@name", name), ("@at", user.CreatedAt.ToUnixTimeMilliseconds()));
                return user;
            },
            ct);

    public Task<List<User>> ListUsersAsync(CancellationToken ct) =>
        database.ReadAsync(s => s.QueryAsync("SELECT id, email, name, created_at FROM users ORDER BY created_at", static r => new User(r.Text(0), r.Text(1), r.Text(2), r.Time(3))), ct);

    public Task<bool> UserExistsAsync(string id, CancellationToken ct) =>
        database.ReadAsync(async s => await s.CountAsync("SELECT COUNT(*) FROM users WHERE id = @id", ("@id", id)) > 0, ct);

    /// <summary>Adds or changes a membership; null when the user does not exist.</summary>
    public Task<Membership?> SetMembershipAsync(string workspaceId, string userId, string role, CancellationToken ct) =>
        database.WriteAsync(
            async s =>
            {
                if (await s.CountAsync("SELECT COUNT(*) FROM users WHERE id = @id", ("@id", userId)) == 0)
                {
                    return null;
                }

                var now = time.GetUtcNow();
                await s.ExecuteAsync(
                    "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (@ws, @user, @role, @at) ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
                    ("@ws", workspaceId), ("@user", userId), ("@role", role), ("@at", now.ToUnixTimeMilliseconds()));
                return await s.SingleAsync(
                    "SELECT workspace_id, user_id, role, created_at FROM memberships WHERE workspace_id = @ws AND user_id = @user",
                    MapMembership, ("@ws", workspaceId), ("@user", userId));
            },
            ct);

    public Task<bool> RemoveMembershipAsync(string workspaceId, string userId, CancellationToken ct) =>
        database.WriteAsync(
            async s => await s.ExecuteAsync("DELETE FROM memberships WHERE workspace_id = @ws AND user_id = @user", ("@ws", workspaceId), ("@user", userId)) > 0,
            ct);

    public Task<List<Membership>> ListMembersAsync(string workspaceId, CancellationToken ct) =>
        database.ReadAsync(
            s => s.QueryAsync("SELECT workspace_id, user_id, role, created_at FROM memberships WHERE workspace_id = @ws ORDER BY created_at", MapMembership, ("@ws", workspaceId)),
            ct);

    public Task<bool> IsMemberAsync(string workspaceId, string userId, CancellationToken ct) =>
        database.ReadAsync(async s => await s.CountAsync("SELECT COUNT(*) FROM memberships WHERE workspace_id = @ws AND user_id = @user", ("@ws", workspaceId), ("@user", userId)) > 0, ct);

    private static Workspace MapWorkspace(DbDataReader r) =>
        new(r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), (int)r.Long(5), r.Time(6));

    private static Membership MapMembership(DbDataReader r) => new(r.Text(0), r.Text(1), r.Text(2), r.Time(3));
}
