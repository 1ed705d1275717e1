using Microsoft.AspNetCore.Http;
using Serilog.Context;

namespace Whim.Runtime.Logging;

/// <summary>
/// Gives every request a correlation id (the caller's <c>X-Request-Id</c> when it is sane, else a new one), echoes it
/// in the response and attaches it to every log event written while the request runs.
/// </summary>
public sealed class CorrelationMiddleware(RequestDelegate next)
{
    /// <summary>The header carrying the id both ways.</summary>
    public const string HeaderName = "X-Request-Id";

    private readonly RequestDelegate _next = next;

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.Request.Headers[HeaderName].ToString();
        if (!IsSane(id))
        {
            id = Guid.NewGuid().ToString("N");
        }

        context.TraceIdentifier = id;
        context.Response.Headers[HeaderName] = id;
        using (LogContext.PushProperty("RequestId", id))
        {
            await _next(context);
        }
    }

    private static bool IsSane(string id)
    {
        if (id.Length is 0 or > 128)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                return false;
            }
        }

        return true;
    }
}
