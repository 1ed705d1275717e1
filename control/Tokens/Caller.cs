namespace Whim.Control.Tokens;

/// <summary>Who is calling: the bootstrap admin, a workspace MCP token (acting for a user) or a task's internal token.</summary>
internal sealed record Caller(CallerKind Kind, string? WorkspaceId, string? TaskId, string? UserId)
{
    public static readonly Caller Admin = new(CallerKind.Admin, null, null, null);

    public bool IsAdmin => Kind == CallerKind.Admin;

    /// <summary>The caller of the current request; set by <see cref="ScopeMiddleware"/> before any API handler runs.</summary>
    public static Caller Of(HttpContext context) =>
        context.Items[typeof(Caller)] as Caller ?? throw new InvalidOperationException("no caller: the scope middleware did not run");
}

internal enum CallerKind
{
    Admin,
    Mcp,
    Task,
}

/// <summary>What an endpoint requires of its caller. Every <c>/api/v1</c> endpoint carries exactly one.</summary>
internal enum ApiScope
{
    /// <summary>No token (the OpenAPI document).</summary>
    Anonymous,

    /// <summary>The bootstrap admin token only: teams, users, workspaces, membership, issuing tokens.</summary>
    Admin,

    /// <summary>Any token of the workspace named by <c>{workspaceId}</c> or owning <c>{taskId}</c>.</summary>
    Workspace,

    /// <summary>The internal token of the task named by <c>{taskId}</c>: what the runtime inside the container calls.</summary>
    TaskRuntime,
}

internal sealed record ScopeMetadata(ApiScope Scope);

internal static class ScopeEndpointExtensions
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ApiScope scope)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ScopeMetadata(scope));
}
