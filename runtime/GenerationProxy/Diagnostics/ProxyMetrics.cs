using System.Diagnostics.Metrics;

namespace Whim.GenerationProxy.Diagnostics;

/// <summary>The proxy's instruments, exported at <c>/metrics</c> by the kernel's Prometheus listener.</summary>
internal sealed class ProxyMetrics : IDisposable
{
    public const string MeterName = "Whim.GenerationProxy";

    private readonly Meter _meter = new(MeterName);
    private readonly UpDownCounter<long> _inFlight;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _ttfb;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _tokens;

    public ProxyMetrics()
    {
        _inFlight = _meter.CreateUpDownCounter<long>("whim_genproxy_requests_in_flight", description: "Model calls being forwarded now.");
        _requests = _meter.CreateCounter<long>("whim_genproxy_requests", description: "Model calls by provider and HTTP status.");
        _ttfb = _meter.CreateHistogram<double>("whim_genproxy_ttfb_seconds", "s", "Time from request to the first answer byte.");
        _duration = _meter.CreateHistogram<double>("whim_genproxy_duration_seconds", "s", "Time from request to the end of the answer.");
        _tokens = _meter.CreateCounter<long>("whim_genproxy_tokens", description: "Tokens reported by the providers, by model and kind.");
    }

    public void Started() => _inFlight.Add(1);

    public void Ended(string provider, int status, TimeSpan? ttfb, TimeSpan duration)
    {
        _inFlight.Add(-1);
        _requests.Add(1, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("status", status));
        if (ttfb is { } t)
        {
            _ttfb.Record(t.TotalSeconds, new KeyValuePair<string, object?>("provider", provider));
        }

        _duration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("provider", provider));
    }

    public void Tokens(string? model, string kind, long? count)
    {
        if (count is > 0)
        {
            _tokens.Add(count.Value, new KeyValuePair<string, object?>("model", model ?? "unknown"), new KeyValuePair<string, object?>("kind", kind));
        }
    }

    public void Dispose() => _meter.Dispose();
}
