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
    public void Meters_outside_the_whim_prefix_are_not_exported()
    {
        using var metrics = new PrometheusMetrics();
        using var meter = new Meter("Other.Library");
        meter.CreateCounter<long>("other.requests").Add(1);
        metrics.Render().Should().NotContain("other_requests");
    }
}
