using System.Text.Json;
using Whim.GenerationProxy.Providers;

namespace Whim.GenerationProxy.Forwarding;

/// <summary>The proxy's own error answers, as <c>application/problem+json</c>.</summary>
internal static class ProblemResponses
{
    public static Task WriteAsync(HttpContext context, int status, string title, string detail, string? field = null, bool listRoutes = false)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "about:blank");
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            if (field is not null)
            {
                json.WriteString("field", field);
            }

            json.WriteString("requestId", context.TraceIdentifier);
            if (listRoutes)
            {
                json.WriteStartArray("supportedRoutes");
                foreach (var route in RouteTable.Routes)
                {
                    json.WriteStringValue($"{route.Method} {route.Pattern} ({ProviderNames.Of(route.Provider)})");
                }

                foreach (var own in RouteTable.OwnEndpoints)
                {
                    json.WriteStringValue(own);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }
}
