using System.Text.Json.Nodes;

namespace Whim.WhimMcp.Tools;

/// <summary>Who the tools act for: the workspace, and over stdio the calling task (null over HTTP).</summary>
public sealed record WhimCaller(string WorkspaceId, string? CurrentTaskId, string? UserId);

/// <summary>
/// What the tools need of the control plane: the caller and JSON calls to the control API's <c>/api/v1</c> routes.
/// Both transports implement it over HTTP with the caller's own token (see <see cref="ControlApiBackend"/>), so the
/// control API's validation and scope checks apply to every tool call unchanged.
/// </summary>
public interface IWhimBackend
{
    /// <summary>The caller; throws <see cref="WhimBackendException"/> when it cannot be established.</summary>
    Task<WhimCaller> GetCallerAsync(CancellationToken cancellationToken);

    /// <summary>Sends <paramref name="body"/> (or nothing) to <paramref name="path"/> and returns the JSON answer (null when empty).</summary>
    Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken);

    /// <summary>GETs <paramref name="path"/> as text (history streams).</summary>
    Task<string> GetTextAsync(string path, CancellationToken cancellationToken);
}

/// <summary>A control-API call failed; <see cref="Exception.Message"/> is a sentence for the model saying what went wrong.</summary>
public sealed class WhimBackendException : Exception
{
    public WhimBackendException()
    {
    }

    public WhimBackendException(string message)
        : base(message)
    {
    }

    public WhimBackendException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public WhimBackendException(int? status, string message)
        : base(message)
    {
        Status = status;
    }

    /// <summary>The HTTP status of the control API's answer, when there was one.</summary>
    public int? Status { get; }
}
