using System.Text.Json;

namespace Whim.Control.Api;

/// <summary>
/// Turns request-binding failures (malformed JSON, wrong JSON types, a missing body, an unparsable route or query
/// value) into 400 problem+json naming the field. Minimal APIs throw them because <c>ThrowOnBadRequest</c> is on.
/// </summary>
internal sealed partial class BadRequestMiddleware(RequestDelegate next, ILogger<BadRequestMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var (field, reason) = Describe(e);
            Log.Rejected(logger, context.Request.Method, context.Request.Path.Value ?? string.Empty, field);
            context.Response.Clear();
            await Problems.Field(field, reason).ExecuteAsync(context);
        }
    }

    internal static (string Field, string Reason) Describe(BadHttpRequestException e)
    {
        if (e.InnerException is JsonException json)
        {
            var path = json.Path is null or "$" ? "body" : json.Path.TrimStart('$', '.');
            return (path, json.InnerException is null && json.Message.Contains("invalid", StringComparison.OrdinalIgnoreCase)
                ? "is not valid JSON"
                : "has the wrong JSON type or is not valid JSON");
        }

        // e.g. Failed to bind parameter "int port" from "abc". / Required parameter "X body" was not provided from body.
        var message = e.Message;
        var start = message.IndexOf('"', StringComparison.Ordinal);
        var end = start < 0 ? -1 : message.IndexOf('"', start + 1);
        var field = start >= 0 && end > start ? message[(start + 1)..end].Split(' ')[^1] : "request";
        return (field, e.StatusCode == StatusCodes.Status415UnsupportedMediaType ? "must be sent as application/json" : "is missing or not valid");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 110, EventName = "RequestRejected", Level = LogLevel.Information, Message = "Rejected {Method} {Path}: {Field} is not valid")]
        public static partial void Rejected(ILogger logger, string method, string path, string field);
    }
}
