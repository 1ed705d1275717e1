using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Whim.Runtime.ControlApi;
using Whim.Runtime.Files;

namespace Whim.BackupAgent.Uploading;

/// <summary>
/// The history routes of the control API, through the kernel's <see cref="ControlApiClient"/> (bearer token, retry
/// with backoff, circuit breaker). Expected answers become <see cref="UploadOutcome"/>s; only cancellation throws.
/// </summary>
internal sealed partial class HistoryClient(ControlApiClient api)
{
    public const string Sha256Header = "X-Whim-Sha256";
    public const string TruncateHeader = "X-Whim-Truncate";

    /// <summary>True when <c>WHIM_API_URL</c> is set.</summary>
    public bool IsConfigured => api.IsConfigured;

    /// <summary>The route of one stream: each segment escaped, the <c>/</c> between them kept.</summary>
    public static string StreamPath(string taskId, string stream)
    {
        var segments = stream.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = Uri.EscapeDataString(segments[i]);
        }

        return $"api/v1/tasks/{Uri.EscapeDataString(taskId)}/history/{string.Join('/', segments)}";
    }

    /// <summary>PUTs <paramref name="body"/> at <paramref name="offset"/>.</summary>
    public async Task<UploadOutcome> AppendAsync(string taskId, string stream, long offset, ReadOnlyMemory<byte> body, bool truncate, CancellationToken cancellationToken)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(body.Span));
        var path = StreamPath(taskId, stream) + "?offset=" + offset.ToString(CultureInfo.InvariantCulture);
        try
        {
            using var response = await api.SendAsync(HttpMethod.Put, path, () => Content(body, sha, truncate), cancellationToken);
            var answer = await response.Content.ReadFromJsonAsync(HistoryJsonContext.Default.HistoryAppendAnswer, cancellationToken);
            return answer is null ? new UploadOutcome.Failed("empty answer to an upload") : new UploadOutcome.Acknowledged(answer.Length);
        }
        catch (ControlApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            var held = HeldLengthIn(e.Message) ?? await HeldLengthAsync(taskId, stream, cancellationToken);
            return held is { } length ? new UploadOutcome.Gap(length) : new UploadOutcome.Failed(e.Message);
        }
        catch (ControlApiException e)
        {
            return new UploadOutcome.Failed(e.Message);
        }
        catch (System.Text.Json.JsonException e)
        {
            return new UploadOutcome.Failed("unreadable answer to an upload: " + e.Message);
        }
    }

    /// <summary>Lists the streams the server holds for <paramref name="taskId"/>.</summary>
    public Task<HistoryList> ListAsync(string taskId, CancellationToken cancellationToken) =>
        api.GetAsync($"api/v1/tasks/{Uri.EscapeDataString(taskId)}/history", HistoryJsonContext.Default.HistoryList, cancellationToken);

    /// <summary>
    /// Downloads one stream into <paramref name="path"/>, replacing it atomically; the body is streamed to disk, never
    /// held whole. Returns the bytes written.
    /// </summary>
    public async Task<long> DownloadAsync(string taskId, string stream, string path, CancellationToken cancellationToken)
    {
        using var response = await api.SendStreamingAsync(HttpMethod.Get, StreamPath(taskId, stream), static () => null, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await AtomicFile.WriteAsync(path, body, cancellationToken);
    }

    private static ReadOnlyMemoryContent Content(ReadOnlyMemory<byte> body, string sha, bool truncate)
    {
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.TryAddWithoutValidation(Sha256Header, sha);
        if (truncate)
        {
            content.Headers.TryAddWithoutValidation(TruncateHeader, "true");
        }

        return content;
    }

    // The 409 problem names the held length; the kernel client hands it over in the exception's detail text.
    internal static long? HeldLengthIn(string text)
    {
        var match = LengthPattern().Match(text);
        return match.Success && long.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : null;
    }

    private async Task<long?> HeldLengthAsync(string taskId, string stream, CancellationToken cancellationToken)
    {
        try
        {
            var list = await ListAsync(taskId, cancellationToken);
            foreach (var entry in list.Streams)
            {
                if (string.Equals(entry.Stream, stream, StringComparison.Ordinal))
                {
                    return entry.Length;
                }
            }

            return 0;
        }
        catch (ControlApiException)
        {
            return null;
        }
    }

    [GeneratedRegex("\"length\"\\s*:\\s*(\\d+)")]
    private static partial Regex LengthPattern();
}

/// <summary>The answer to an append.</summary>
internal sealed class HistoryAppendAnswer
{
    public string Stream { get; set; } = string.Empty;

    public long Length { get; set; }
}

/// <summary>The streams of a task.</summary>
internal sealed class HistoryList
{
    public List<HistoryListEntry> Streams { get; set; } = [];
}

/// <summary>One stream of a task.</summary>
internal sealed class HistoryListEntry
{
    public string Stream { get; set; } = string.Empty;

    public long Length { get; set; }

    public string? Kind { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HistoryAppendAnswer))]
[JsonSerializable(typeof(HistoryList))]
internal sealed partial class HistoryJsonContext : JsonSerializerContext;
