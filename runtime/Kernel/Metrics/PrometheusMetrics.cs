using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Whim.Runtime.Metrics;

/// <summary>
/// Serves <c>/metrics</c>: listens to every <see cref="Meter"/> whose name starts with <c>Whim</c> and renders the
/// aggregated instruments in the Prometheus text format, plus the process's own resident memory, CPU time, GC heap,
/// bytes allocated, GC pause time and collections by generation. Services use the ordinary
/// <see cref="System.Diagnostics.Metrics"/> API; nothing here is on their hot path but an interlocked add.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    /// <summary>Meters whose name starts with this are exported.</summary>
    public const string MeterPrefix = "Whim";

    private static readonly double[] s_secondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
    private static readonly double[] s_millisecondsBuckets = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000];
    private static readonly double[] s_genericBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000, 1000000];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();

    public PrometheusMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal))
            {
                _instruments.TryAdd(instrument, new InstrumentState(instrument, BucketsFor(instrument)));
                listener.EnableMeasurementEvents(instrument, _instruments[instrument]);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Renders every exported instrument and the process figures.</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder(4096);
        foreach (var state in _instruments.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            state.Render(text);
        }

        RenderProcess(text);
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private static double[]? BucketsFor(Instrument instrument)
    {
        if (instrument is Histogram<double> { Advice.HistogramBucketBoundaries: { } d })
        {
            return [.. d];
        }

        if (instrument is Histogram<long> { Advice.HistogramBucketBoundaries: { } l })
        {
            return [.. l.Select(static x => (double)x)];
        }

        if (instrument is not (Histogram<double> or Histogram<long> or Histogram<int>))
        {
            return null;
        }

        return instrument.Unit switch
        {
            "s" => s_secondsBuckets,
            "ms" => s_millisecondsBuckets,
            _ => s_genericBuckets,
        };
    }

    private static void RenderProcess(StringBuilder text)
    {
        using var process = Process.GetCurrentProcess();
        AppendSingle(text, "process_resident_memory_bytes", "gauge", "Resident set size.", process.WorkingSet64);
        AppendSingle(text, "process_cpu_seconds_total", "counter", "User and system CPU time.", process.TotalProcessorTime.TotalSeconds);
        AppendSingle(text, "dotnet_gc_heap_bytes", "gauge", "Managed heap size.", GC.GetTotalMemory(forceFullCollection: false));
        AppendSingle(text, "dotnet_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since start.", GC.GetTotalAllocatedBytes());
        AppendSingle(text, "dotnet_gc_pause_seconds_total", "counter", "Time the runtime was paused for garbage collection.", GC.GetTotalPauseDuration().TotalSeconds);
        text.Append("# HELP dotnet_gc_collections_total Garbage collections by generation.\n# TYPE dotnet_gc_collections_total counter\n");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            text.Append("dotnet_gc_collections_total{generation=\"").Append(generation).Append("\"} ").Append(GC.CollectionCount(generation)).Append('\n');
        }

        AppendSingle(text, "process_start_time_seconds", "gauge", "Start time since the Unix epoch.", new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
    }

    private static void AppendSingle(StringBuilder text, string name, string type, string help, double value)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        text.Append(name).Append(' ').Append(Format(value)).Append('\n');
    }

    internal static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The Prometheus name of an instrument: dots become underscores, anything else invalid too.</summary>
    internal static string PrometheusName(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(chars[i]) || chars[i] == '_' || chars[i] == ':'))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    private sealed class InstrumentState
    {
        private readonly Instrument _instrument;
        private readonly double[]? _buckets;
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

        // Measurements with up to three tags find their series without building the label text (no allocation
        // once seen); the same set in another order gets its own entry pointing to the same series.
        private readonly ConcurrentDictionary<TagSet, Series> _byTags = new();
        private readonly string _type;

        public InstrumentState(Instrument instrument, double[]? buckets)
        {
            _instrument = instrument;
            _buckets = buckets;
            var baseName = PrometheusName(instrument.Name);
            (_type, Name) = instrument switch
            {
                _ when buckets is not null => ("histogram", baseName),
                Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> =>
                    ("counter", baseName.EndsWith("_total", StringComparison.Ordinal) ? baseName : baseName + "_total"),
                _ => ("gauge", baseName),
            };
            IsCumulative = instrument is not (ObservableGauge<long> or ObservableGauge<int> or ObservableGauge<double>
                or ObservableCounter<long> or ObservableCounter<double> or ObservableUpDownCounter<long> or ObservableUpDownCounter<double>);
        }

        public string Name { get; }

        // Observable instruments report absolute values; the others report deltas to add up.
        private bool IsCumulative { get; }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = Find(tags);
            if (_buckets is not null)
            {
                series.Observe(value, _buckets);
            }
            else if (IsCumulative)
            {
                series.Add(value);
            }
            else
            {
                series.Set(value);
            }
        }

        public void Render(StringBuilder text)
        {
            if (_series.IsEmpty)
            {
                return;
            }

            var help = string.IsNullOrEmpty(_instrument.Description) ? _instrument.Name : _instrument.Description;
            text.Append("# HELP ").Append(Name).Append(' ').Append(help.Replace('\n', ' ')).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(_type).Append('\n');
            foreach (var (labels, series) in _series.OrderBy(static p => p.Key, StringComparer.Ordinal))
            {
                if (_buckets is null)
                {
                    text.Append(Name).Append(Braced(labels)).Append(' ').Append(Format(series.Value)).Append('\n');
                    continue;
                }

                var (counts, sum, count) = series.Snapshot();
                long cumulative = 0;
                for (var i = 0; i <= _buckets.Length; i++)
                {
                    cumulative += counts[i];
                    var le = i < _buckets.Length ? Format(_buckets[i]) : "+Inf";
                    var withLe = labels.Length == 0 ? $"le=\"{le}\"" : $"{labels},le=\"{le}\"";
                    text.Append(Name).Append("_bucket{").Append(withLe).Append("} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
                }

                text.Append(Name).Append("_sum").Append(Braced(labels)).Append(' ').Append(Format(sum)).Append('\n');
                text.Append(Name).Append("_count").Append(Braced(labels)).Append(' ').Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        private Series Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length > TagSet.Capacity)
            {
                return _series.GetOrAdd(LabelKey(tags), static (_, b) => new Series(b), _buckets);
            }

            var set = new TagSet(tags);
            if (_byTags.TryGetValue(set, out var found))
            {
                return found;
            }

            var key = tags.Length == 0 ? string.Empty : LabelKey(tags);
            return _byTags.GetOrAdd(set, _series.GetOrAdd(key, static (_, b) => new Series(b), _buckets));
        }

        private static string Braced(string labels) => labels.Length == 0 ? string.Empty : "{" + labels + "}";

        private static string LabelKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var pairs = new KeyValuePair<string, object?>[tags.Length];
            tags.CopyTo(pairs);
            Array.Sort(pairs, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            var text = new StringBuilder();
            foreach (var (key, value) in pairs)
            {
                if (text.Length > 0)
                {
                    text.Append(',');
                }

                var rendered = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
                text.Append(PrometheusName(key)).Append("=\"")
                    .Append(rendered.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal))
                    .Append('"');
            }

            return text.ToString();
        }
    }

    /// <summary>Up to <see cref="Capacity"/> tags in the order given, compared by key and value.</summary>
    private readonly struct TagSet : IEquatable<TagSet>
    {
        public const int Capacity = 3;

        private readonly int _count;
        private readonly KeyValuePair<string, object?> _a;
        private readonly KeyValuePair<string, object?> _b;
        private readonly KeyValuePair<string, object?> _c;

        public TagSet(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            _count = tags.Length;
            _a = tags.Length > 0 ? tags[0] : default;
            _b = tags.Length > 1 ? tags[1] : default;
            _c = tags.Length > 2 ? tags[2] : default;
        }

        public bool Equals(TagSet other) =>
            _count == other._count && Same(_a, other._a) && Same(_b, other._b) && Same(_c, other._c);

        public override bool Equals(object? obj) => obj is TagSet other && Equals(other);

        public override int GetHashCode() =>
            HashCode.Combine(_count, _a.Key, _a.Value, _b.Key, _b.Value, _c.Key, _c.Value);

        private static bool Same(KeyValuePair<string, object?> x, KeyValuePair<string, object?> y) =>
            string.Equals(x.Key, y.Key, StringComparison.Ordinal) && Equals(x.Value, y.Value);
    }

    private sealed class Series(double[]? buckets)
    {
        private readonly long[]? _counts = buckets is null ? null : new long[buckets.Length + 1];
        private readonly Lock _gate = new();
        private double _value;
        private double _sum;
        private long _count;

        public double Value => Volatile.Read(ref _value);

        public void Add(double delta)
        {
            double current, next;
            do
            {
                current = Volatile.Read(ref _value);
                next = current + delta;
            }
            while (Interlocked.CompareExchange(ref _value, next, current) != current);
        }

        public void Set(double value) => Volatile.Write(ref _value, value);

        public void Observe(double value, double[] bounds)
        {
            var index = Array.BinarySearch(bounds, value);
            if (index < 0)
            {
                index = ~index;
            }

            lock (_gate)
            {
                _counts![index]++;
                _sum += value;
                _count++;
            }
        }

        public (long[] Counts, double Sum, long Count) Snapshot()
        {
            lock (_gate)
            {
                return ((long[])_counts!.Clone(), _sum, _count);
            }
        }
    }
}
