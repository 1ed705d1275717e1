using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Whim.LocalProxy.Forwarding;

/// <summary>The answers the proxy gives itself: problem+json refusals and the "not listening yet" page.</summary>
internal static class ProxyResponses
{
    /// <summary>A refusal naming the field and the reason.</summary>
    public static Task ProblemAsync(HttpContext context, int status, string field, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        context.Response.Headers.CacheControl = "no-store";
        return WriteJsonAsync(context, json =>
        {
            json.WriteString("type", "about:blank");
            json.WriteString("title", ReasonPhrase(status));
            json.WriteNumber("status", status);
            json.WriteString("detail", $"{field}: {reason}");
            json.WriteString("field", field);
        });
    }

    /// <summary>
    /// 503 while the port is not listening (or not answering) yet: for a browser a small page that reloads itself
    /// every second, for an API client problem+json with <c>Retry-After</c>.
    /// </summary>
    public static Task NotListeningAsync(HttpContext context, int port, string reason)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.RetryAfter = "1";
        response.Headers.CacheControl = "no-store";
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            response.ContentType = "text/html; charset=utf-8";
            var what = port == 0 ? "No dev server is running yet" : $"Port {port.ToString(CultureInfo.InvariantCulture)} is not ready yet";
            var html = $$"""
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="1">
                <meta name="viewport" content="width=device-width,initial-scale=1"><title>{{WebUtility.HtmlEncode(what)}}</title>
                <style>body{font:16px system-ui,sans-serif;display:grid;place-items:center;height:100vh;margin:0;color:#333}p{color:#777}</style></head>
                <body><main><h1>{{WebUtility.HtmlEncode(what)}}</h1><p>{{WebUtility.HtmlEncode(reason)}} This page reloads by itself.</p></main></body></html>
                """;
            return response.WriteAsync(html, Encoding.UTF8);
        }

        response.ContentType = "application/problem+json";
        return WriteJsonAsync(context, json =>
        {
            json.WriteString("type", "about:blank");
            json.WriteString("title", "Service Unavailable");
            json.WriteNumber("status", 503);
            json.WriteString("detail", reason);
            json.WriteNumber("port", port);
            json.WriteNumber("retryAfterSeconds", 1);
        });
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    private static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad Request",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        _ => "Error",
    };
}
