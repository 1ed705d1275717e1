using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Whim.Runtime.ControlApi;

namespace Whim.WhimMcp.Tools;

/// <summary>
/// <see cref="IWhimBackend"/> over the control API's HTTP routes through the kernel's <see cref="ControlApiClient"/>
/// (timeouts, retries, circuit breaker). The client carries the caller's token: the task's internal token over stdio,
/// the presented MCP token over HTTP.
/// </summary>
public sealed class ControlApiBackend(ControlApiClient client, Func<IWhimBackend, CancellationToken, Task<WhimCaller>> caller) : IWhimBackend
{
    private Task<WhimCaller>? _caller;

    public Task<WhimCaller> GetCallerAsync(CancellationToken cancellationToken) =>
        _caller is { IsFaulted: false, IsCanceled: false } known ? known : _caller = caller(this, cancellationToken);

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var text = await CallAsync(method, path, body, cancellationToken);
        return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
    }

    public Task<string> GetTextAsync(string path, CancellationToken cancellationToken) => CallAsync(HttpMethod.Get, path, null, cancellationToken);

    private async Task<string> CallAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.SendAsync(
                method,
                path,
                () => body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
                cancellationToken);
            return await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (ControlApiException e)
        {
            throw new WhimBackendException(e.StatusCode is { } s ? (int)s : null, Explain(e));
        }
    }

    /// <summary>A sentence for the model: the problem's detail and field errors when the API gave them.</summary>
    internal static string Explain(ControlApiException e)
    {
        var message = e.Message;
        var start = message.IndexOf('{', StringComparison.Ordinal);
        var reasons = new List<string>();
        if (start >= 0)
        {
            try
            {
                if (JsonNode.Parse(message[start..]) is JsonObject problem)
                {
                    if (problem["errors"] is JsonObject errors)
                    {
                        foreach (var (field, list) in errors)
                        {
                            reasons.Add($"{field} {string.Join("; ", list is JsonArray a ? a.Select(x => x?.ToString()) : [list?.ToString()])}");
                        }
                    }

                    if (reasons.Count == 0 && (problem["detail"] ?? problem["title"])?.ToString() is { Length: > 0 } detail)
                    {
                        reasons.Add(detail);
                    }
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // A truncated detail: fall back to the whole message.
            }
        }

        var why = reasons.Count > 0 ? string.Join(", ", reasons) : message;
        return e.StatusCode switch
        {
            HttpStatusCode.NotFound => $"Not found: {why}. Check the id (a task's UUID or display id such as WW-12).",
            HttpStatusCode.Conflict => $"Not possible in the current state: {why}",
            HttpStatusCode.BadRequest => $"Invalid input: {why}",
            HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => $"Not allowed: {why}",
            _ => $"The control API failed: {why}",
        };
    }
}
