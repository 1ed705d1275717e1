namespace Whim.Control.Workspaces;

internal sealed record Team(string Id, string Slug, string Name, DateTimeOffset CreatedAt);

internal sealed record CreateTeamRequest(string? Slug, string? Name);

internal sealed record Workspace(string Id, string TeamId, string Slug, string Name, string Prefix, int IdleTimeoutSeconds, DateTimeOffset CreatedAt);

internal sealed record CreateWorkspaceRequest(string? TeamId, string? Slug, string? Name, string? Prefix, int? IdleTimeoutSeconds);

internal sealed record UpdateWorkspaceRequest(string? Name, int? IdleTimeoutSeconds);

internal sealed record User(string Id, string Email, string Name, DateTimeOffset CreatedAt);

internal sealed record CreateUserRequest(string? Email, string? Name);

internal sealed record Membership(string WorkspaceId, string UserId, string Role, DateTimeOffset CreatedAt);

internal sealed record SetMembershipRequest(string? Role);

internal sealed record CreateTokenRequest(string? Name, string? UserId);

/// <summary>A freshly issued token: the only time its clear text is shown.</summary>
internal sealed record TokenCreated(string Token, Tokens.IssuedToken Details);

internal static class WorkspaceRules
{
    public const int DefaultIdleTimeoutSeconds = 15 * 60;
    public const int MaxIdleTimeoutSeconds = 24 * 60 * 60;
    public static readonly string[] Roles = ["admin", "editor", "viewer"];

    public static string Slug(Validation v, string field, string? value)
    {
        var slug = v.Required(field, value, 64);
        if (slug.Length > 0 && !slug.All(static c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            v.Add(field, "may hold only a-z, 0-9 and '-'");
        }

        return slug;
    }
}
