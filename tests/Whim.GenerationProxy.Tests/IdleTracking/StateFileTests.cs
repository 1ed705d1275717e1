using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using FluentAssertions;
using Whim.Testing;
using Xunit;

namespace Whim.GenerationProxy.Tests.IdleTracking;

public sealed class StateFileTests : ProxyTestBase
{
    private static string? StateOf(string json) => JsonDocument.Parse(json).RootElement.GetProperty("state").GetString();

    [Fact]
    public async Task A_reader_polling_the_state_file_sees_idle_working_idle_and_never_a_broken_file()
    {
        // A debounce long enough that back-to-back calls on a loaded CI machine stay one working period.
        await using var h = await ProxyHarness.StartAsync("--PROXY:IDLEDEBOUNCE", "00:00:02");
        await Eventually.UntilAsync(() => File.Exists(h.StateFile), "the initial state file");
        var seen = new ConcurrentQueue<string>();
        var unparsable = 0;
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var state = StateOf(await File.ReadAllTextAsync(h.StateFile));
                    if (seen.LastOrDefault() != state)
                    {
                        seen.Enqueue(state!);
                    }
                }
                catch (JsonException)
                {
                    Interlocked.Increment(ref unparsable);
                }
                catch (KeyNotFoundException)
                {
                    Interlocked.Increment(ref unparsable);
                }

                await Task.Yield();
            }
        });

        await Eventually.UntilAsync(() => seen.Contains("idle"), "the reader to see idle");
        h.StandIn.Behaviour.EventGap = TimeSpan.FromMilliseconds(20);
        for (var i = 0; i < 3; i++)
        {
            using var response = await h.Client.SendAsync(ProxyHarness.Generation("anthropic", stream: true));
            _ = await response.Content.ReadAsStringAsync();
        }

        await Eventually.UntilAsync(() => seen.Count >= 3 && seen.Last() == "idle", "idle after the debounce");
        await stop.CancelAsync();
        await reader;
        seen.Should().Equal("idle", "working", "idle");
        unparsable.Should().Be(0);

        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(h.StateFile));
        foreach (var field in new[] { "state", "activeRequests", "lastActivityAt", "since", "updatedAt" })
        {
            doc.RootElement.TryGetProperty(field, out _).Should().BeTrue(field);
        }
    }

    [Fact]
    public async Task Whim_state_serves_the_same_document_and_counts_active_requests()
    {
        H.StandIn.Behaviour.SilenceAfterFirstDelta = TimeSpan.FromSeconds(2);
        var call = H.Client.SendAsync(ProxyHarness.Generation("openai-responses", stream: true), HttpCompletionOption.ResponseHeadersRead);
        await Eventually.UntilAsync(
            async () =>
            {
                var json = await H.Client.GetStringAsync("whim/state");
                var root = JsonDocument.Parse(json).RootElement;
                return root.GetProperty("state").GetString() == "working" && root.GetProperty("activeRequests").GetInt32() == 1;
            },
            "working with one active request");
        using var response = await call;
        _ = await response.Content.ReadAsStringAsync();
        await Eventually.UntilAsync(async () => StateOf(await H.Client.GetStringAsync("whim/state")) == "idle", "idle again");
    }

    [Fact]
    public async Task State_stream_pushes_every_transition()
    {
        using var response = await H.Client.GetAsync("whim/state/stream", HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        async Task<string?> NextStateAsync()
        {
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    return StateOf(line["data: ".Length..]);
                }
            }

            return null;
        }

        (await NextStateAsync()).Should().Be("idle");
        using (var call = await H.Client.SendAsync(ProxyHarness.Generation("openai-chat", stream: false)))
        {
            call.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        (await NextStateAsync().WaitAsync(TimeSpan.FromSeconds(30))).Should().Be("working");
        (await NextStateAsync().WaitAsync(TimeSpan.FromSeconds(30))).Should().Be("idle");
    }
}
