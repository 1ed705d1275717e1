using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Whim.Control.Tokens;

/// <summary>Settings of the bootstrap admin token (<c>WHIM_ADMIN_TOKEN</c>); empty disables it.</summary>
internal sealed class AdminTokenOptions
{
    public string AdminToken { get; set; } = string.Empty;
}

internal sealed class AdminTokenOptionsValidator : IValidateOptions<AdminTokenOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminTokenOptions options)
    {
        var errors = new Whim.Runtime.Configuration.OptionsErrors();
        errors.When(options.AdminToken.Length is > 0 and < 24, "WHIM_ADMIN_TOKEN", "must be at least 24 characters (or empty to disable)");
        return errors.ToResult();
    }
}

/// <summary>
/// Authenticates every <c>/api/v1</c> request by its bearer token and enforces the endpoint's <see cref="ScopeMetadata"/>.
/// Fails closed: an API endpoint without scope metadata answers 403. A token of another workspace sees 404, so
/// it learns nothing about resources outside its workspace.
/// </summary>
internal sealed partial class ScopeMiddleware(RequestDelegate next, TokenStore tokens, Database database, IOptions<AdminTokenOptions> admin, ILogger<ScopeMiddleware> logger)
{
    private readonly byte[]? _adminToken = admin.Value.AdminToken.Length == 0 ? null : Encoding.UTF8.GetBytes(admin.Value.AdminToken);

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null || !context.Request.Path.StartsWithSegments("/api/v1", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var scope = endpoint.Metadata.GetMetadata<ScopeMetadata>()?.Scope;
        if (scope == ApiScope.Anonymous)
        {
            await next(context);
            return;
        }

        var caller = await AuthenticateAsync(context);
        if (caller is null)
        {
            Log.Unauthenticated(logger, context.Request.Method, context.Request.Path.Value ?? string.Empty);
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized.", detail: "A valid bearer token is required.").ExecuteAsync(context);
            return;
        }

        var denial = scope is null ? Forbidden("the endpoint declares no scope") : await CheckAsync(context, caller, scope.Value);
        if (denial is not null)
        {
            Log.Denied(logger, context.Request.Method, context.Request.Path.Value ?? string.Empty, caller.Kind.ToString(), caller.WorkspaceId ?? "-");
            await denial.ExecuteAsync(context);
            return;
        }

        context.Items[typeof(Caller)] = caller;
        await next(context);
    }

    private async Task<Caller?> AuthenticateAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header["Bearer ".Length..].Trim();
        if (_adminToken is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), _adminToken))
        {
            return Caller.Admin;
        }

        return await tokens.ResolveAsync(token, context.RequestAborted);
    }

    private async Task<IResult?> CheckAsync(HttpContext context, Caller caller, ApiScope scope)
    {
        if (caller.IsAdmin)
        {
            return null;
        }

        if (scope == ApiScope.Admin)
        {
            return Forbidden("only the admin token may do this");
        }

        var values = context.Request.RouteValues;
        string? workspaceId;
        var taskId = values["taskId"] as string;
        if (taskId is not null)
        {
            workspaceId = await database.ReadAsync(
                async s => (string?)await s.ScalarAsync("SELECT workspace_id FROM tasks WHERE id = @id", ("@id", taskId)),
                context.RequestAborted);
        }
        else
        {
            workspaceId = values["workspaceId"] as string;
        }

        if (workspaceId is null || !string.Equals(workspaceId, caller.WorkspaceId, StringComparison.Ordinal))
        {
            // Another workspace's resource or none at all: the same answer, so ids cannot be probed.
            return Problems.NotFound(taskId is not null ? "The task" : "The workspace");
        }

        if (scope == ApiScope.TaskRuntime && (caller.Kind != CallerKind.Task || !string.Equals(taskId, caller.TaskId, StringComparison.Ordinal)))
        {
            return Forbidden("only the task's own internal token may do this");
        }

        return null;
    }

    private static IResult Forbidden(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.", detail: detail);

    private static partial class Log
    {
        [LoggerMessage(EventId = 120, EventName = "Unauthenticated", Level = LogLevel.Information, Message = "No valid token for {Method} {Path}")]
        public static partial void Unauthenticated(ILogger logger, string method, string path);

        [LoggerMessage(EventId = 121, EventName = "ScopeDenied", Level = LogLevel.Information, Message = "Denied {Method} {Path} to a {CallerKind} token of workspace {WorkspaceId}")]
        public static partial void Denied(ILogger logger, string method, string path, string callerKind, string workspaceId);
    }
}
