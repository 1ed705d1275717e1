using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Whim.Testing;

/// <summary>What the stand-in saw of one request.</summary>
public sealed record ReceivedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, long BodyLength, string? Model, bool Stream)
{
    /// <summary>The request body as text (UTF-8), for tests that check what the agent sent.</summary>
    public string? Body { get; init; }
}

/// <summary>How the stand-in answers; tests change it between calls.</summary>
public sealed class StandInBehaviour
{
    /// <summary>Text deltas per answer.</summary>
    public int TextChunks { get; set; } = 5;

    /// <summary>Pause between two SSE events.</summary>
    public TimeSpan EventGap { get; set; } = TimeSpan.Zero;

    /// <summary>A pause after the first text delta (a model thinking).</summary>
    public TimeSpan SilenceAfterFirstDelta { get; set; } = TimeSpan.Zero;

    /// <summary>Answer the next N generation calls with <see cref="FailStatus"/>.</summary>
    public int FailNext;

    /// <summary>The status of a failure (529 overloaded, 429 rate limited ...).</summary>
    public int FailStatus { get; set; } = 529;

    /// <summary>The text answered.</summary>
    public string Text { get; set; } = "Hello from the stand-in.";
}

/// <summary>
/// A local provider that speaks the wire protocols the proxy forwards: Anthropic Messages (SSE and JSON, token
/// counting, models), OpenAI Chat Completions (chunks with a final usage chunk) and Responses (the full event
/// lifecycle), and OpenRouter's flavour of chat (<c>gen-</c> ids, processing comments). Event shapes and ids follow
/// the providers' documentation. It records every request's headers so tests can check which key arrived.
/// </summary>
public sealed class ProviderStandIn : IAsyncDisposable
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };
    private readonly WebApplication _app;
    private int _counter;

    private ProviderStandIn(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string BaseUrl => BaseAddress.ToString().TrimEnd('/');

    public StandInBehaviour Behaviour { get; } = new();

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    /// <summary>Stopwatch timestamps at which each SSE event of the latest stream began to be written.</summary>
    public ConcurrentQueue<long> EventWrittenAt { get; } = new();

    /// <summary>Streams that ended because the client went away.</summary>
    public int AbortedStreams;

    /// <summary>Streams that ran to their end.</summary>
    public int CompletedStreams;

    public static async Task<ProviderStandIn> StartAsync(string urls = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        ProviderStandIn? standIn = null;
        app.Run(ctx => standIn!.HandleAsync(ctx));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        standIn = new ProviderStandIn(app, new Uri(address.TrimEnd('/') + "/"));
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        JsonNode? body = null;
        string? text = null;
        long length = 0;
        if (request.Method == "POST")
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            length = buffer.Length;
            text = Encoding.UTF8.GetString(buffer.ToArray());
            try
            {
                body = length > 0 ? JsonNode.Parse(buffer.ToArray()) : null;
            }
            catch (JsonException)
            {
            }
        }

        var model = body?["model"]?.GetValue<string>();
        var stream = body?["stream"]?.GetValue<bool>() ?? false;
        Requests.Enqueue(new ReceivedRequest(request.Method, path, headers, length, model, stream) { Body = text });
        var n = Interlocked.Increment(ref _counter);
        var isGeneration = path.EndsWith("/messages", StringComparison.Ordinal) || path.EndsWith("/chat/completions", StringComparison.Ordinal) || path.EndsWith("/responses", StringComparison.Ordinal);
        if (isGeneration && Interlocked.Decrement(ref Behaviour.FailNext) >= 0)
        {
            context.Response.StatusCode = Behaviour.FailStatus;
            context.Response.Headers["retry-after"] = "0";
            await context.Response.WriteAsJsonAsync(new { type = "error", error = new { type = "overloaded_error", message = "Overloaded" } });
            return;
        }

        Interlocked.Exchange(ref Behaviour.FailNext, Math.Max(0, Behaviour.FailNext));
        var openRouter = path.StartsWith("/api/v1/", StringComparison.Ordinal);
        try
        {
            switch (path)
            {
                case "/v1/messages":
                    context.Response.Headers["request-id"] = $"req_standin_{n}";
                    await AnthropicMessagesAsync(context, model ?? "claude-sonnet-4-5", stream, n);
                    break;
                case "/v1/messages/count_tokens":
                    await WriteJsonAsync(context, new JsonObject { ["input_tokens"] = 42 });
                    break;
                case "/v1/models":
                    await ModelsAsync(context, headers.ContainsKey("anthropic-version"));
                    break;
                case "/v1/chat/completions" or "/api/v1/chat/completions":
                    context.Response.Headers["x-request-id"] = $"req_standin_{n}";
                    await ChatAsync(context, model ?? "gpt-5", stream, n, openRouter);
                    break;
                case "/v1/responses" or "/api/v1/responses":
                    context.Response.Headers["x-request-id"] = $"req_standin_{n}";
                    await ResponsesAsync(context, model ?? "gpt-5", stream, n);
                    break;
                default:
                    context.Response.StatusCode = 404;
                    await WriteJsonAsync(context, new JsonObject { ["error"] = $"stand-in does not serve {request.Method} {path}" });
                    break;
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref AbortedStreams);
        }
        catch (IOException) when (context.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref AbortedStreams);
        }
    }

    private static Task WriteJsonAsync(HttpContext context, JsonNode node)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(node.ToJsonString(s_json));
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private IEnumerable<string> Deltas()
    {
        var words = Behaviour.Text.Split(' ');
        for (var i = 0; i < Behaviour.TextChunks; i++)
        {
            yield return i < words.Length ? (i == 0 ? words[i] : " " + words[i]) : ".";
        }
    }

    private string FullText() => string.Concat(Deltas());

    private async Task SseAsync(HttpContext context, IEnumerable<(string? Event, JsonNode? Data, string? Raw)> events)
    {
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        EventWrittenAt.Clear();
        var ct = context.RequestAborted;
        await context.Response.StartAsync(ct);
        var first = true;
        var deltas = 0;
        foreach (var (name, data, raw) in events)
        {
            if (!first && Behaviour.EventGap > TimeSpan.Zero)
            {
                await Task.Delay(Behaviour.EventGap, ct);
            }

            first = false;
            var text = new StringBuilder();
            if (raw is not null)
            {
                text.Append(raw).Append('\n');
            }
            else
            {
                if (name is not null)
                {
                    text.Append("event: ").Append(name).Append('\n');
                }

                text.Append("data: ").Append(data is null ? "[DONE]" : data.ToJsonString(s_json)).Append("\n\n");
            }

            EventWrittenAt.Enqueue(Stopwatch.GetTimestamp());
            await context.Response.WriteAsync(text.ToString(), ct);
            await context.Response.Body.FlushAsync(ct);
            var isDelta = name is "content_block_delta" or "response.output_text.delta"
                || (data?["choices"] is JsonArray { Count: > 0 } choices && choices[0]?["delta"]?["content"]?.GetValue<string>() is { Length: > 0 });
            if (isDelta && deltas++ == 0 && Behaviour.SilenceAfterFirstDelta > TimeSpan.Zero)
            {
                await Task.Delay(Behaviour.SilenceAfterFirstDelta, ct);
            }
        }

        Interlocked.Increment(ref CompletedStreams);
    }

    private Task AnthropicMessagesAsync(HttpContext context, string model, bool stream, int n)
    {
        var id = $"msg_standin_{n:D4}";
        var usage = new JsonObject { ["input_tokens"] = 25, ["cache_creation_input_tokens"] = 100, ["cache_read_input_tokens"] = 2000, ["output_tokens"] = 1 };
        if (!stream)
        {
            usage["output_tokens"] = 12;
            return WriteJsonAsync(context, new JsonObject
            {
                ["id"] = id, ["type"] = "message", ["role"] = "assistant", ["model"] = model,
                ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = FullText() }),
                ["stop_reason"] = "end_turn", ["stop_sequence"] = null, ["usage"] = usage,
            });
        }

        IEnumerable<(string?, JsonNode?, string?)> Events()
        {
            yield return ("message_start", new JsonObject
            {
                ["type"] = "message_start",
                ["message"] = new JsonObject
                {
                    ["id"] = id, ["type"] = "message", ["role"] = "assistant", ["model"] = model, ["content"] = new JsonArray(),
                    ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = usage,
                },
            }, null);
            yield return ("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = 0, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } }, null);
            yield return ("ping", new JsonObject { ["type"] = "ping" }, null);
            foreach (var delta in Deltas())
            {
                yield return ("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = delta } }, null);
            }

            yield return ("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 }, null);
            yield return ("message_delta", new JsonObject
            {
                ["type"] = "message_delta",
                ["delta"] = new JsonObject { ["stop_reason"] = "end_turn", ["stop_sequence"] = null },
                ["usage"] = new JsonObject { ["output_tokens"] = 12 },
            }, null);
            yield return ("message_stop", new JsonObject { ["type"] = "message_stop" }, null);
        }

        return SseAsync(context, Events());
    }

    private static Task ModelsAsync(HttpContext context, bool anthropic) => anthropic
        ? WriteJsonAsync(context, new JsonObject
        {
            ["data"] = new JsonArray(new JsonObject { ["type"] = "model", ["id"] = "claude-sonnet-4-5", ["display_name"] = "Claude Sonnet 4.5", ["created_at"] = "2025-09-29T00:00:00Z" }),
            ["has_more"] = false, ["first_id"] = "claude-sonnet-4-5", ["last_id"] = "claude-sonnet-4-5",
        })
        : WriteJsonAsync(context, new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(new JsonObject { ["id"] = "gpt-5", ["object"] = "model", ["created"] = 1754000000, ["owned_by"] = "openai" }),
        });

    private Task ChatAsync(HttpContext context, string model, bool stream, int n, bool openRouter)
    {
        var id = openRouter ? $"gen-standin-{n:D4}" : $"chatcmpl-standin{n:D4}";
        var created = Now;
        JsonObject Usage() => new()
        {
            ["prompt_tokens"] = 50, ["completion_tokens"] = 7, ["total_tokens"] = 57,
            ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 32 },
        };
        if (!stream)
        {
            return WriteJsonAsync(context, new JsonObject
            {
                ["id"] = id, ["object"] = "chat.completion", ["created"] = created, ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = FullText() }, ["finish_reason"] = "stop" }),
                ["usage"] = Usage(),
            });
        }

        JsonObject Chunk(JsonObject delta, string? finish, bool withChoice = true, JsonObject? usage = null) => new()
        {
            ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model,
            ["choices"] = withChoice ? new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }) : new JsonArray(),
            ["usage"] = usage,
        };

        IEnumerable<(string?, JsonNode?, string?)> Events()
        {
            if (openRouter)
            {
                yield return (null, null, ": OPENROUTER PROCESSING\n");
            }

            yield return (null, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null), null);
            foreach (var delta in Deltas())
            {
                yield return (null, Chunk(new JsonObject { ["content"] = delta }, null), null);
            }

            yield return (null, Chunk(new JsonObject(), "stop"), null);
            yield return (null, Chunk(new JsonObject(), null, withChoice: false, usage: Usage()), null);
            yield return (null, null, "data: [DONE]\n");
        }

        return SseAsync(context, Events());
    }

    private Task ResponsesAsync(HttpContext context, string model, bool stream, int n)
    {
        var id = $"resp_standin{n:D4}";
        var itemId = $"msg_item{n:D4}";
        var created = Now;
        var text = FullText();
        JsonObject Item(string status, bool withText) => new()
        {
            ["id"] = itemId, ["type"] = "message", ["status"] = status, ["role"] = "assistant",
            ["content"] = withText ? new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray() }) : new JsonArray(),
        };
        JsonObject Response(string status, bool done) => new()
        {
            ["id"] = id, ["object"] = "response", ["created_at"] = created, ["status"] = status, ["model"] = model,
            ["output"] = done ? new JsonArray(Item("completed", true)) : new JsonArray(),
            ["usage"] = done
                ? new JsonObject
                {
                    ["input_tokens"] = 80, ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 64 },
                    ["output_tokens"] = 9, ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 }, ["total_tokens"] = 89,
                }
                : null,
        };
        if (!stream)
        {
            return WriteJsonAsync(context, Response("completed", done: true));
        }

        IEnumerable<(string?, JsonNode?, string?)> Events()
        {
            var seq = 0;
            (string?, JsonNode?, string?) E(string type, JsonObject data)
            {
                data["type"] = type;
                data["sequence_number"] = seq++;
                return (type, data, null);
            }

            yield return E("response.created", new JsonObject { ["response"] = Response("in_progress", false) });
            yield return E("response.in_progress", new JsonObject { ["response"] = Response("in_progress", false) });
            yield return E("response.output_item.added", new JsonObject { ["output_index"] = 0, ["item"] = Item("in_progress", false) });
            yield return E("response.content_part.added", new JsonObject { ["item_id"] = itemId, ["output_index"] = 0, ["content_index"] = 0, ["part"] = new JsonObject { ["type"] = "output_text", ["text"] = "", ["annotations"] = new JsonArray() } });
            foreach (var delta in Deltas())
            {
                yield return E("response.output_text.delta", new JsonObject { ["item_id"] = itemId, ["output_index"] = 0, ["content_index"] = 0, ["delta"] = delta });
            }

            yield return E("response.output_text.done", new JsonObject { ["item_id"] = itemId, ["output_index"] = 0, ["content_index"] = 0, ["text"] = text });
            yield return E("response.content_part.done", new JsonObject { ["item_id"] = itemId, ["output_index"] = 0, ["content_index"] = 0, ["part"] = new JsonObject { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray() } });
            yield return E("response.output_item.done", new JsonObject { ["output_index"] = 0, ["item"] = Item("completed", true) });
            yield return E("response.completed", new JsonObject { ["response"] = Response("completed", true) });
        }

        return SseAsync(context, Events());
    }
}
