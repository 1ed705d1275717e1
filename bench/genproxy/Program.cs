using System.Globalization;
using System.Text;
using Whim.Bench.GenerationProxy;
using Whim.Testing.Providers;

// bench/genproxy: TTFB, per-event forwarding latency and throughput through the proxy, directly to the stand-in,
// and through nginx with proxy_buffering off, in one run; plus the proxy's RSS idle and under 500 streams.
// Usage: run.sh [proxy binary] [--requests N] [--streams N]
var binary = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : null;
var requests = Option("--requests", 1000);
var streams = Option("--streams", 500);

await using var standIn = await ProviderStandIn.StartAsync();
using var root = new TempFolder();
await using var proxy = await Targets.StartProxyAsync(binary, standIn.BaseUrl, root.Path);
await using var nginx = await Targets.StartNginxAsync(standIn.BaseUrl, root.Path);
var idleRss = Rss.Of(proxy.Pid);
Console.WriteLine($"proxy: {proxy.Description}; nginx: {(nginx is null ? "not installed" : "nginx " + nginx.Url)}");
Console.WriteLine($"idle RSS of the proxy: {idleRss / 1048576.0:F1} MB (limit 40 MB)");

var targets = new List<(string Name, string Url)> { ("direct", standIn.BaseUrl), ("proxy", proxy.Url) };
if (nginx is not null)
{
    targets.Add(("nginx", nginx.Url));
}

// Warm every path up, then measure.
standIn.Behaviour.TextChunks = 5;
foreach (var (_, url) in targets)
{
    await Measure.TtfbAsync(url, 50);
}

var ttfb = new Dictionary<string, Stats>();
foreach (var (name, url) in targets)
{
    ttfb[name] = await Measure.TtfbAsync(url, requests);
}

standIn.Behaviour.EventGap = TimeSpan.FromMilliseconds(2);
standIn.Behaviour.TextChunks = 20;
var eventLatency = new Dictionary<string, Stats>();
foreach (var (name, url) in targets)
{
    eventLatency[name] = await Measure.EventLatencyAsync(url, standIn, Math.Max(10, requests / 10));
}

standIn.Behaviour.EventGap = TimeSpan.FromMilliseconds(20);
standIn.Behaviour.TextChunks = 50;
var throughput = new Dictionary<string, (double EventsPerSecond, long PeakRss)>();
foreach (var (name, url) in targets)
{
    var pid = name == "proxy" ? proxy.Pid : 0;
    throughput[name] = await Measure.ConcurrentStreamsAsync(url, streams, pid);
}

var report = new StringBuilder();
report.AppendLine(CultureInfo.InvariantCulture, $"{"target",-8} {"ttfb p50 ms",12} {"ttfb p99 ms",12} {"event p50 ms",13} {"event p99 ms",13} {"events/s @" + streams,16}");
foreach (var (name, _) in targets)
{
    report.AppendLine(CultureInfo.InvariantCulture, $"{name,-8} {ttfb[name].P50,12:F3} {ttfb[name].P99,12:F3} {eventLatency[name].P50,13:F3} {eventLatency[name].P99,13:F3} {throughput[name].EventsPerSecond,16:F0}");
}

Console.Write(report);
var addedP50 = ttfb["proxy"].P50 - ttfb["direct"].P50;
var addedP99 = ttfb["proxy"].P99 - ttfb["direct"].P99;
var addedEventP99 = eventLatency["proxy"].P99 - eventLatency["direct"].P99;
var peak = throughput["proxy"].PeakRss;
Console.WriteLine($"proxy added TTFB: p50 {addedP50:F3} ms (limit 1), p99 {addedP99:F3} ms (limit 5)");
Console.WriteLine($"proxy added per-event latency p99: {addedEventP99:F3} ms (limit 1)");
Console.WriteLine($"proxy RSS peak with {streams} concurrent streams: {peak / 1048576.0:F1} MB (limit 100 MB)");
Console.WriteLine($"ratios vs direct: proxy TTFB p50 x{ttfb["proxy"].P50 / ttfb["direct"].P50:F2}, throughput x{throughput["proxy"].EventsPerSecond / throughput["direct"].EventsPerSecond:F2}");
if (nginx is not null)
{
    Console.WriteLine($"ratios vs nginx: proxy TTFB p50 x{ttfb["proxy"].P50 / ttfb["nginx"].P50:F2}, p99 x{ttfb["proxy"].P99 / ttfb["nginx"].P99:F2}, event p99 x{eventLatency["proxy"].P99 / eventLatency["nginx"].P99:F2}, throughput x{throughput["proxy"].EventsPerSecond / throughput["nginx"].EventsPerSecond:F2}");
}

var ok = addedP50 <= 1 && addedP99 <= 5 && addedEventP99 <= 1 && peak <= 100L * 1048576 && idleRss <= 40L * 1048576;
Console.WriteLine(ok ? "RESULT: all targets met" : "RESULT: some targets missed (see above)");
return ok ? 0 : 1;

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}
