using System.Data.Common;

namespace Whim.Control.Workspaces;

/// <summary>Teams, workspaces, users, membership and workspace MCP tokens.</summary>
internal static class WorkspaceEndpoints
{
    public static void MapWorkspaces(this RouteGroupBuilder api)
    {
        var admin = api.MapGroup(string.Empty).RequireScope(ApiScope.Admin).WithTags("Workspaces");
        admin.MapPost("/teams", CreateTeamAsync);
        admin.MapGet("/teams", (WorkspaceStore store, CancellationToken ct) => store.ListTeamsAsync(ct));
        admin.MapPost("/workspaces", CreateWorkspaceAsync);
        admin.MapGet("/workspaces", (WorkspaceStore store, CancellationToken ct) => store.ListWorkspacesAsync(ct));
        admin.MapPost("/users", CreateUserAsync);
        admin.MapGet("/users", (WorkspaceStore store, CancellationToken ct) => store.ListUsersAsync(ct));
        admin.MapPut("/workspaces/{workspaceId}/members/{userId}", SetMemberAsync);
        admin.MapDelete("/workspaces/{workspaceId}/members/{userId}", async (string workspaceId, string userId, WorkspaceStore store, CancellationToken ct) =>
            await store.RemoveMembershipAsync(workspaceId, userId, ct) ? Results.NoContent() : Problems.NotFound("The membership"));
        admin.MapPost("/workspaces/{workspaceId}/tokens", CreateTokenAsync);
        admin.MapGet("/workspaces/{workspaceId}/tokens", (string workspaceId, TokenStore tokens, CancellationToken ct) => tokens.ListAsync(workspaceId, ct));
        admin.MapDelete("/workspaces/{workspaceId}/tokens/{tokenId}", async (string workspaceId, string tokenId, TokenStore tokens, CancellationToken ct) =>
            await tokens.RevokeAsync(workspaceId, tokenId, ct) ? Results.NoContent() : Problems.NotFound("The token"));

        var workspace = api.MapGroup("/workspaces/{workspaceId}").RequireScope(ApiScope.Workspace).WithTags("Workspaces");
        workspace.MapGet(string.Empty, async (string workspaceId, WorkspaceStore store, CancellationToken ct) =>
            await store.GetWorkspaceAsync(workspaceId, ct) is { } w ? Results.Ok(w) : Problems.NotFound("The workspace"));
        workspace.MapPatch(string.Empty, UpdateWorkspaceAsync);
        workspace.MapGet("/members", (string workspaceId, WorkspaceStore store, CancellationToken ct) => store.ListMembersAsync(workspaceId, ct));
    }

    private static async Task<IResult> CreateTeamAsync(CreateTeamRequest request, WorkspaceStore store, Database database, CancellationToken ct)
    {
        var v = new Validation();
        var slug = WorkspaceRules.Slug(v, "slug", request.Slug);
        var name = v.Required("name", request.Name, 200);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        return await ConflictOnDuplicateAsync(async () => Results.Created($"/api/v1/teams/{slug}", await store.CreateTeamAsync(slug, name, ct)), "a team with this slug exists");
    }

    private static async Task<IResult> CreateWorkspaceAsync(CreateWorkspaceRequest request, WorkspaceStore store, CancellationToken ct)
    {
        var v = new Validation();
        var teamId = v.Required("teamId", request.TeamId, 64);
        var slug = WorkspaceRules.Slug(v, "slug", request.Slug);
        var name = v.Required("name", request.Name, 200);
        var prefix = v.Optional("prefix", request.Prefix, 8);
        if (prefix is not null && (prefix.Length < 1 || !prefix.All(char.IsAsciiLetterUpper)))
        {
            v.Add("prefix", "must be 1 to 8 letters A-Z");
        }

        v.Range("idleTimeoutSeconds", request.IdleTimeoutSeconds, 0, WorkspaceRules.MaxIdleTimeoutSeconds);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        return await ConflictOnDuplicateAsync(
            async () => await store.CreateWorkspaceAsync(teamId, slug, name, prefix, request.IdleTimeoutSeconds ?? WorkspaceRules.DefaultIdleTimeoutSeconds, ct) is { } w
                ? Results.Created($"/api/v1/workspaces/{w.Id}", w)
                : Problems.Field("teamId", "names no team"),
            "a workspace with this slug or prefix exists");
    }

    private static async Task<IResult> UpdateWorkspaceAsync(string workspaceId, UpdateWorkspaceRequest request, WorkspaceStore store, CancellationToken ct)
    {
        var v = new Validation();
        if (request.Name is not null)
        {
            v.Required("name", request.Name, 200);
        }

        v.Range("idleTimeoutSeconds", request.IdleTimeoutSeconds, 0, WorkspaceRules.MaxIdleTimeoutSeconds);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        return await store.UpdateWorkspaceAsync(workspaceId, request.Name, request.IdleTimeoutSeconds, ct) is { } w ? Results.Ok(w) : Problems.NotFound("The workspace");
    }

    private static async Task<IResult> CreateUserAsync(CreateUserRequest request, WorkspaceStore store, CancellationToken ct)
    {
        var v = new Validation();
        var email = v.Required("email", request.Email, 320);
        if (email.Length > 0 && !email.Contains('@', StringComparison.Ordinal))
        {
            v.Add("email", "is not an email address");
        }

        var name = v.Required("name", request.Name, 200);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        return await ConflictOnDuplicateAsync(async () => Results.Created("/api/v1/users", await store.CreateUserAsync(email, name, ct)), "a user with this email exists");
    }

    private static async Task<IResult> SetMemberAsync(string workspaceId, string userId, SetMembershipRequest request, WorkspaceStore store, CancellationToken ct)
    {
        var v = new Validation();
        var role = v.RequiredOneOf("role", request.Role, WorkspaceRules.Roles);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        if (await store.GetWorkspaceAsync(workspaceId, ct) is null)
        {
            return Problems.NotFound("The workspace");
        }

        return await store.SetMembershipAsync(workspaceId, userId, role, ct) is { } m ? Results.Ok(m) : Problems.NotFound("The user");
    }

    private static async Task<IResult> CreateTokenAsync(string workspaceId, CreateTokenRequest request, WorkspaceStore store, TokenStore tokens, CancellationToken ct)
    {
        var v = new Validation();
        var name = v.Required("name", request.Name, 200);
        v.Optional("userId", request.UserId, 64);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        if (await store.GetWorkspaceAsync(workspaceId, ct) is null)
        {
            return Problems.NotFound("The workspace");
        }

        if (request.UserId is not null && !await store.IsMemberAsync(workspaceId, request.UserId, ct))
        {
            return Problems.Field("userId", "is not a member of the workspace");
        }

        var (token, record) = await tokens.IssueAsync(TokenFormat.Mcp, name, workspaceId, null, request.UserId, ct);
        return Results.Created($"/api/v1/workspaces/{workspaceId}/tokens/{record.Id}", new TokenCreated(token, record));
    }

    /// <summary>Runs a create and answers 409 when a unique constraint refuses it (a concurrent duplicate).</summary>
    internal static async Task<IResult> ConflictOnDuplicateAsync(Func<Task<IResult>> create, string detail)
    {
        try
        {
            return await create();
        }
        catch (DbException e) when (SqlDialect.IsConstraintViolation(e))
        {
            return Problems.Conflict(detail);
        }
    }
}
