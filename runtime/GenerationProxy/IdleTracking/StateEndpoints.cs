using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Features;

namespace Whim.GenerationProxy.IdleTracking;

/// <summary><c>GET /whim/state</c> (the state document) and <c>GET /whim/state/stream</c> (SSE: the document now, then every transition).</summary>
internal static class StateEndpoints
{
    public static IResult Get(AgentStateTracker tracker) =>
        Results.Json(tracker.Current, ProxyJsonContext.Default.AgentStateSnapshot);

    public static async Task StreamAsync(HttpContext context, AgentStateTracker tracker, IHostApplicationLifetime lifetime)
    {
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var transitions = Channel.CreateUnbounded<AgentStateSnapshot>(new UnboundedChannelOptions { SingleReader = true });
        using var subscription = tracker.Subscribe(s => transitions.Writer.TryWrite(s));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        try
        {
            await WriteAsync(context.Response, tracker.Current, stop.Token).ConfigureAwait(false);
            await foreach (var snapshot in transitions.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                await WriteAsync(context.Response, snapshot, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static async Task WriteAsync(HttpResponse response, AgentStateSnapshot snapshot, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(snapshot, ProxyJsonContext.Default.AgentStateSnapshot);
        await response.Body.WriteAsync("event: state\ndata: "u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await response.Body.WriteAsync(json, cancellationToken).ConfigureAwait(false);
        await response.Body.WriteAsync("\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
