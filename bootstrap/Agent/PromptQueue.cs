using System.Net.Http.Headers;
using System.Net.Http.Json;
using Whim.Bootstrap.TaskSpec;

namespace Whim.Bootstrap.Agent;

/// <summary>A prompt waiting in the control API's queue for this task's agent.</summary>
internal sealed record QueuedPrompt(string Id, string Body);

/// <summary>The task's prompt queue: what is pending, and the acknowledgement that one reached the agent.</summary>
internal interface IPromptQueue
{
    /// <summary>The prompts not yet acknowledged, oldest first.</summary>
    Task<IReadOnlyList<QueuedPrompt>> PendingAsync(CancellationToken cancellationToken);

    /// <summary>Marks the prompt delivered (idempotent).</summary>
    Task AcknowledgeAsync(string promptId, CancellationToken cancellationToken);
}

/// <summary>
/// The control API's queue: <c>GET /api/v1/tasks/{id}/prompts?pending=true</c> and
/// <c>POST /api/v1/tasks/{id}/prompts/{promptId}/delivered</c>, with the task's internal token.
/// </summary>
internal sealed class ControlApiPromptQueue : IPromptQueue, IDisposable
{
    private readonly HttpClient _http;
    private readonly string _prompts;

    public ControlApiPromptQueue(string apiUrl, string token, string taskId)
    {
        _http = new HttpClient { BaseAddress = new Uri(apiUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(10) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _prompts = $"api/v1/tasks/{Uri.EscapeDataString(taskId)}/prompts";
    }

    public async Task<IReadOnlyList<QueuedPrompt>> PendingAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(_prompts + "?pending=true", cancellationToken);
        await EnsureAsync(response, "GET " + _prompts, cancellationToken);
        return await response.Content.ReadFromJsonAsync(BootstrapJsonContext.Default.ListQueuedPrompt, cancellationToken) ?? [];
    }

    public async Task AcknowledgeAsync(string promptId, CancellationToken cancellationToken)
    {
        var path = $"{_prompts}/{Uri.EscapeDataString(promptId)}/delivered";
        using var response = await _http.PostAsync(path, content: null, cancellationToken);
        await EnsureAsync(response, "POST " + path, cancellationToken);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string call, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"{call} answered {(int)response.StatusCode}: {(body.Length > 300 ? body[..300] : body)}");
        }
    }

    public void Dispose() => _http.Dispose();
}
