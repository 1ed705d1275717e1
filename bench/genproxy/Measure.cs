using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Whim.Testing;

namespace Whim.Bench.GenerationProxy;

/// <summary>Percentiles of a sample, in milliseconds.</summary>
internal sealed record Stats(double P50, double P99, double Max)
{
    public static Stats Of(List<double> samples)
    {
        samples.Sort();
        double At(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
        return new Stats(At(0.50), At(0.99), samples[^1]);
    }
}

internal static class Measure
{
    public const string Placeholder = "bench-placeholder";

    private static readonly byte[] s_body = Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}""");

    private static HttpClient NewClient() => new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        Timeout = TimeSpan.FromMinutes(5),
    };

    private static HttpRequestMessage Request(string baseUrl)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/messages") { Content = new ByteArrayContent(s_body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("x-api-key", Placeholder);
        request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        return request;
    }

    /// <summary>Sequential streamed calls: time from sending to the first body byte.</summary>
    public static async Task<Stats> TtfbAsync(string baseUrl, int count)
    {
        using var client = NewClient();
        var samples = new List<double>(count);
        var buffer = new byte[16384];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(Request(baseUrl), HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            _ = await body.ReadAsync(buffer);
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            while (await body.ReadAsync(buffer) > 0)
            {
            }
        }

        return Stats.Of(samples);
    }

    /// <summary>Sequential streams with paced events: delay from the stand-in writing an event to the client reading it.</summary>
    public static async Task<Stats> EventLatencyAsync(string baseUrl, ProviderStandIn standIn, int streams)
    {
        using var client = NewClient();
        var samples = new List<double>();
        for (var s = 0; s < streams; s++)
        {
            using var response = await client.SendAsync(Request(baseUrl), HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var received = new List<long>();
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    received.Add(Stopwatch.GetTimestamp());
                }
            }

            var written = standIn.EventWrittenAt.ToArray();
            for (var i = 0; i < Math.Min(written.Length, received.Count); i++)
            {
                samples.Add(Stopwatch.GetElapsedTime(written[i], received[i]).TotalMilliseconds);
            }
        }

        return Stats.Of(samples);
    }

    /// <summary>Many streams at once: events delivered per second, and the peak RSS of <paramref name="pid"/> meanwhile.</summary>
    public static async Task<(double EventsPerSecond, long PeakRss)> ConcurrentStreamsAsync(string baseUrl, int streams, int pid)
    {
        using var client = NewClient();
        long events = 0;
        long peak = 0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && pid != 0)
            {
                peak = Math.Max(peak, Rss.Of(pid));
                await Task.Delay(50);
            }
        });
        var start = Stopwatch.GetTimestamp();
        var tasks = Enumerable.Range(0, streams).Select(async _ =>
        {
            using var response = await client.SendAsync(Request(baseUrl), HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref events);
                }
            }
        }).ToList();
        await Task.WhenAll(tasks);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await stop.CancelAsync();
        await sampler;
        if (pid != 0)
        {
            peak = Math.Max(peak, Rss.Of(pid));
        }

        return (events / seconds, peak);
    }
}

internal static class Rss
{
    /// <summary>Resident set size of a process in bytes, from /proc.</summary>
    public static long Of(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
