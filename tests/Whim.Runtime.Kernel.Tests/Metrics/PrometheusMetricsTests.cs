using System.Diagnostics.Metrics;
using FluentAssertions;
using Whim.Runtime.Metrics;
using Xunit;

namespace Whim.Runtime.Kernel.Tests.Metrics;

public sealed class PrometheusMetricsTests
{
    [Fact]
    public void Counters_gauges_and_histograms_render_in_prometheus_text()
    {
        using var metrics = new PrometheusMetrics();
        var name = "Whim.Test." + Guid.NewGuid().ToString("N")[..6];
        using var meter = new Meter(name);
        var requests = meter.CreateCounter<long>(name + ".requests", description: "Requests by status.");
        var latency = meter.CreateHistogram<double>(name + ".latency", unit: "ms");
        var level = 7;
        meter.CreateObservableGauge(name + ".inflight", () => level);

        requests.Add(2, new KeyValuePair<string, object?>("status", 200));
        requests.Add(1, new KeyValuePair<string, object?>("status", 200));
        requests.Add(1, new KeyValuePair<string, object?>("status", "5\"x"));
        latency.Record(0.7);
        latency.Record(3);
        latency.Record(99999999);

        var text = metrics.Render();
        var prefix = PrometheusMetrics.PrometheusName(name);

        text.Should().Contain($"# TYPE {prefix}_requests_total counter");
        text.Should().Contain($"{prefix}_requests_total{{status=\"200\"}} 3");
        text.Should().Contain($"{prefix}_requests_total{{status=\"5\\\"x\"}} 1");
        text.Should().Contain($"{prefix}_latency_bucket{{le=\"1\"}} 1");
        text.Should().Contain($"{prefix}_latency_bucket{{le=\"5\"}} 2");
        text.Should().Contain($"{prefix}_latency_bucket{{le=\"+Inf\"}} 3");
        text.Should().Contain($"{prefix}_latency_count 3");
        text.Should().Contain($"{prefix}_inflight 7");
        text.Should().Contain("process_resident_memory_bytes");

        level = 3;
        metrics.Render().Should().Contain($"{prefix}_inflight 3");
    }

    [Fact]
    public void The_process_figures_include_garbage_collections_by_generation_and_allocations()
    {
        using var metrics = new PrometheusMetrics();
        GC.Collect(0);
        var collected = GC.CollectionCount(0);

        var text = metrics.Render();

        text.Should().Contain("# TYPE dotnet_gc_collections_total counter");
        var gen0 = text.Split('\n').Single(l => l.StartsWith("dotnet_gc_collections_total{generation=\"0\"} ", StringComparison.Ordinal));
        long.Parse(gen0.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(collected);
        text.Should().Contain($"dotnet_gc_collections_total{{generation=\"{GC.MaxGeneration}\"}} ");
        var allocated = text.Split('\n').Single(l => l.StartsWith("dotnet_gc_allocated_bytes_total ", StringComparison.Ordinal));
        double.Parse(allocated.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture).Should().BePositive();
        text.Should().Contain("# TYPE dotnet_gc_pause_seconds_total counter");
    }

    [Fact]
    public void Meters_outside_the_whim_prefix_are_not_exported()
    {
        using var metrics = new PrometheusMetrics();
        using var meter = new Meter("Other.Library");
        meter.CreateCounter<long>("other.requests").Add(1);
        metrics.Render().Should().NotContain("other_requests");
    }

    [Fact]
    public void The_same_tags_in_any_order_count_into_one_series()
    {
        using var metrics = new PrometheusMetrics();
        var name = "Whim.Test." + Guid.NewGuid().ToString("N")[..6];
        using var meter = new Meter(name);
        var calls = meter.CreateCounter<long>(name + ".calls");

        calls.Add(1, new("provider", "anthropic"), new("status", 200));
        calls.Add(2, new("status", 200), new("provider", "anthropic"));
        calls.Add(4, new("status", 429), new("provider", "anthropic"));
        calls.Add(8, new("a", 1), new("b", 2), new("c", 3), new("d", 4));
        calls.Add(16, new("d", 4), new("c", 3), new("b", 2), new("a", 1));

        var text = metrics.Render();
        var prefix = PrometheusMetrics.PrometheusName(name);
        text.Should().Contain($"{prefix}_calls_total{{provider=\"anthropic\",status=\"200\"}} 3");
        text.Should().Contain($"{prefix}_calls_total{{provider=\"anthropic\",status=\"429\"}} 4");
        text.Should().Contain($"{prefix}_calls_total{{a=\"1\",b=\"2\",c=\"3\",d=\"4\"}} 24");
    }

    [Fact]
    public void Recording_a_seen_tag_set_allocates_nothing()
    {
        using var metrics = new PrometheusMetrics();
        var name = "Whim.Test." + Guid.NewGuid().ToString("N")[..6];
        using var meter = new Meter(name);
        var requests = meter.CreateCounter<long>(name + ".requests");
        var outcome = new KeyValuePair<string, object?>("outcome", "forwarded");
        requests.Add(1, outcome);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            requests.Add(1, outcome);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
        metrics.Render().Should().Contain($"{PrometheusMetrics.PrometheusName(name)}_requests_total{{outcome=\"forwarded\"}} 1001");
    }
}
