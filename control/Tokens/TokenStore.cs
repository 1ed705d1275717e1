namespace Whim.Control.Tokens;

internal sealed record IssuedToken(string Id, string Kind, string Name, string WorkspaceId, string? TaskId, string? UserId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>Issues, resolves and revokes task and MCP tokens.</summary>
internal sealed class TokenStore(Database database, TimeProvider time)
{
    private const string Columns = "id, kind, name, workspace_id, task_id, user_id, created_at, revoked_at";

    /// <summary>Inserts a token inside the caller's transaction and returns the clear text (shown once).</summary>
    public static async Task<(string Token, IssuedToken Record)> IssueAsync(
        DbSession session, TimeProvider time, string kind, string name, string workspaceId, string? taskId, string? userId)
    {
        var (token, lookup, hash) = TokenFormat.Issue(kind);
        var now = time.GetUtcNow();
        await session.ExecuteAsync(
            "INSERT INTO tokens (id, kind, hash, name, workspace_id, task_id, user_id, created_at) VALUES (@id, @kind, @hash, @name, @ws, @task, @user, @at)",
            ("@id", lookup), ("@kind", kind), ("@hash", hash), ("@name", name), ("@ws", workspaceId), ("@task", taskId), ("@user", userId),
            ("@at", now.ToUnixTimeMilliseconds()));
        return (token, new IssuedToken(lookup, kind, name, workspaceId, taskId, userId, now, null));
    }

    public Task<(string Token, IssuedToken Record)> IssueAsync(string kind, string name, string workspaceId, string? taskId, string? userId, CancellationToken ct) =>
        database.WriteAsync(s => IssueAsync(s, time, kind, name, workspaceId, taskId, userId), ct);

    /// <summary>The caller a presented token stands for, or null when it is unknown, malformed or revoked.</summary>
    public async Task<Caller?> ResolveAsync(string token, CancellationToken ct)
    {
        if (!TokenFormat.TryParse(token, out var kind, out var lookup))
        {
            return null;
        }

        var row = await database.ReadAsync(
            s => s.SingleAsync(
                "SELECT hash, workspace_id, task_id, user_id, revoked_at FROM tokens WHERE id = @id AND kind = @kind",
                static r => new { Hash = r.Text(0), Workspace = r.Text(1), Task = r.NullableText(2), User = r.NullableText(3), Revoked = r.NullableLong(4) },
                ("@id", lookup), ("@kind", kind)),
            ct);
        if (row is null || row.Revoked is not null || !TokenFormat.HashMatches(token, row.Hash))
        {
            return null;
        }

        return new Caller(kind == TokenFormat.Task ? CallerKind.Task : CallerKind.Mcp, row.Workspace, row.Task, row.User);
    }

    public Task<List<IssuedToken>> ListAsync(string workspaceId, CancellationToken ct) =>
        database.ReadAsync(
            s => s.QueryAsync($"SELECT {Columns} FROM tokens WHERE workspace_id = @ws AND kind = 'mcp' ORDER BY created_at", Map, ("@ws", workspaceId)),
            ct);

    /// <summary>Revokes one MCP token of the workspace; false when there is none by that id.</summary>
    public Task<bool> RevokeAsync(string workspaceId, string tokenId, CancellationToken ct) =>
        database.WriteAsync(
            async s => await s.ExecuteAsync(
                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, @at) WHERE id = @id AND workspace_id = @ws AND kind = 'mcp'",
                ("@at", time.Millis()), ("@id", tokenId), ("@ws", workspaceId)) > 0,
            ct);

    private static IssuedToken Map(System.Data.Common.DbDataReader r) =>
        new(r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.NullableText(4), r.NullableText(5), r.Time(6), r.NullableTime(7));
}
