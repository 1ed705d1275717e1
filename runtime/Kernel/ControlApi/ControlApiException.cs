using System.Net;

namespace Whim.Runtime.ControlApi;

/// <summary>Why a control-API call failed for good.</summary>
public enum ControlApiFailure
{
    /// <summary><c>WHIM_API_URL</c> is not set.</summary>
    NotConfigured,

    /// <summary>The API answered with an error status (after retries, for retryable ones).</summary>
    HttpStatus,

    /// <summary>No connection could be made, or it broke.</summary>
    Unreachable,

    /// <summary>An attempt or the whole call timed out.</summary>
    Timeout,

    /// <summary>Too many recent failures: the circuit is open and the call was not sent.</summary>
    CircuitOpen,
}

/// <summary>A control-API call that did not succeed; the message names the call, the reason and the attempts, never the token.</summary>
public sealed class ControlApiException : Exception
{
    public ControlApiException()
    {
    }

    public ControlApiException(string message)
        : base(message)
    {
    }

    public ControlApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal ControlApiException(ControlApiFailure failure, string call, int attempts, HttpStatusCode? status, string? detail, Exception? inner)
        : base(Describe(failure, call, attempts, status, detail), inner)
    {
        Failure = failure;
        Attempts = attempts;
        StatusCode = status;
    }

    /// <summary>The kind of failure.</summary>
    public ControlApiFailure Failure { get; }

    /// <summary>Requests actually sent.</summary>
    public int Attempts { get; }

    /// <summary>The last HTTP status, when there was an answer.</summary>
    public HttpStatusCode? StatusCode { get; }

    private static string Describe(ControlApiFailure failure, string call, int attempts, HttpStatusCode? status, string? detail)
    {
        var what = failure switch
        {
            ControlApiFailure.NotConfigured => "WHIM_API_URL is not set",
            ControlApiFailure.HttpStatus => $"answered {(int)status!} {status}",
            ControlApiFailure.Unreachable => "unreachable",
            ControlApiFailure.Timeout => "timed out",
            ControlApiFailure.CircuitOpen => "circuit open after repeated failures; not sent",
            _ => failure.ToString(),
        };
        var text = $"control API {call}: {what} after {attempts} attempt(s)";
        return string.IsNullOrWhiteSpace(detail) ? text : $"{text}: {detail}";
    }
}
