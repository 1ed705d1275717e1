using Whim.Control.Workspaces;
using Whim.Runtime.Logging;

namespace Whim.Control.Mcp;

/// <summary>
/// Guards <c>/api/mcp/{team}/{workspace}</c>: a workspace MCP token (<c>whim_mcp_…</c>) of exactly that workspace, whose
/// owner is still a member, then the streamable-HTTP Accept rules. No or unknown token → 401; a task's internal token → 403; another
/// workspace's token or unknown slugs → 404 (slugs cannot be probed); a GET not accepting text/event-stream or a POST not accepting both application/json and text/event-stream → 406.
/// </summary>
internal sealed partial class McpHttpMiddleware(RequestDelegate next, TokenStore tokens, Database database, WorkspaceStore workspaces, ILogger<McpHttpMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments(McpHttp.PathPrefix, StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : string.Empty;
        var caller = token.Length == 0 ? null : await tokens.ResolveAsync(token, context.RequestAborted);
        if (caller is null)
        {
            Log.Refused(logger, 401, "no valid token");
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized.", detail: "A workspace MCP token is required: Authorization: Bearer whim_mcp_…").ExecuteAsync(context);
            return;
        }

        if (caller.Kind != CallerKind.Mcp)
        {
            Log.Refused(logger, 403, "not an MCP token");
            await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.", detail: "Only a workspace MCP token may use this endpoint; inside a task use the stdio server.").ExecuteAsync(context);
            return;
        }

        // From the path, not route values: the guard must answer even for a method the SDK maps no endpoint for.
        var segments = context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var workspaceId = segments.Length == 4 ? await WorkspaceBySlugsAsync(segments[2], segments[3], context.RequestAborted) : null;
        if (workspaceId is null || !string.Equals(workspaceId, caller.WorkspaceId, StringComparison.Ordinal))
        {
            Log.Refused(logger, 404, "another workspace or none");
            await Problems.NotFound("The workspace").ExecuteAsync(context);
            return;
        }

        if (caller.UserId is not null && !await workspaces.IsMemberAsync(workspaceId, caller.UserId, context.RequestAborted))
        {
            Log.Refused(logger, 403, "owner no longer a member");
            await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.", detail: "The token's owner is no longer a member of the workspace.").ExecuteAsync(context);
            return;
        }

        if (NotAcceptable(context.Request) is { } needed)
        {
            Log.Refused(logger, 406, "Accept lacks " + needed);
            await Results.Problem(statusCode: StatusCodes.Status406NotAcceptable, title: "Not Acceptable.", detail: $"The Accept header must include {needed}.").ExecuteAsync(context);
            return;
        }

        context.Items[typeof(McpHttpCaller)] = new McpHttpCaller(workspaceId, caller.UserId, new Secret(token));
        await next(context);
    }

    /// <summary>Streamable HTTP: GET must accept text/event-stream, POST both application/json and text/event-stream; null when acceptable.</summary>
    internal static string? NotAcceptable(HttpRequest request)
    {
        var accepted = request.GetTypedHeaders().Accept.Select(static a => a.MediaType.Value).ToList();
        var json = accepted.Contains("application/json", StringComparer.OrdinalIgnoreCase);
        var events = accepted.Contains("text/event-stream", StringComparer.OrdinalIgnoreCase);
        return request.Method switch
        {
            "GET" when !events => "text/event-stream",
            "POST" when !json || !events => "both application/json and text/event-stream",
            _ => null,
        };
    }

    private Task<string?> WorkspaceBySlugsAsync(string team, string workspace, CancellationToken ct) =>
        database.ReadAsync(
            async s => (string?)await s.ScalarAsync(
                "SELECT w.id FROM workspaces w JOIN teams t ON t.id = w.team_id WHERE t.slug = @team AND w.slug = @ws", ("@team", team), ("@ws", workspace)),
            ct);

    private static partial class Log
    {
        [LoggerMessage(EventId = 900, EventName = "McpRefused", Level = LogLevel.Information, Message = "MCP HTTP request refused with {Status}: {Reason}")]
        public static partial void Refused(ILogger logger, int status, string reason);
    }
}
