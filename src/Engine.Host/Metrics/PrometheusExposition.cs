using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Messaging.Engine.Reputation;
using Messaging.Engine.Telemetry;

namespace Messaging.Host.Metrics;

/// <summary>
/// <c>GET /metrics</c> in the Prometheus text exposition format (version 0.0.4), from this engine's meters. The
/// OpenTelemetry Prometheus exporter is not in this project's package registry, so the aggregation is done here: counters
/// are summed per label set, histograms kept as cumulative buckets, gauges read at scrape time. Names follow
/// Prometheus conventions: dots become underscores, counters end in <c>_total</c>, durations in <c>_seconds</c>.
/// </summary>
internal sealed class PrometheusExposition : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, ConcurrentDictionary<string, Series>> _series = new();

    // Each tag set of text values met before, by its tags as given (one entry per order they came in): a measurement is
    // taken several times per request, and formatting its labels each time was most of the cost of keeping the metrics.
    // Only text: it equals another exactly when its label does, so the entries stay as few as the series.
    private readonly ConcurrentDictionary<TagSet, Series> _byTags = new();
    private readonly Lock _scrape = new();

    public PrometheusExposition(EngineMetrics engine, ReputationGuard reputation)
        : this([engine.Meter, reputation.Meter])
    {
    }

    /// <summary>An exposition of the instruments of <paramref name="listenedTo"/> (and of no other meter in the process).</summary>
    internal PrometheusExposition(IEnumerable<Meter> listenedTo)
    {
        var meters = new HashSet<Meter>(listenedTo);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (meters.Contains(instrument.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public string Render()
    {
        var text = new StringBuilder();
        lock (_scrape)
        {
            // Observable instruments report now; their values replace the last scrape's.
            _listener.RecordObservableInstruments();
            foreach (var (instrument, series) in _series.OrderBy(s => s.Key.Name, StringComparer.Ordinal))
            {
                var name = NameOf(instrument);
                var type = instrument switch
                {
                    Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> => "counter",
                    Histogram<double> or Histogram<long> => "histogram",
                    _ => "gauge",
                };
                text.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description).Append('\n');
                text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
                foreach (var (labels, value) in series.OrderBy(s => s.Key, StringComparer.Ordinal))
                {
                    value.Write(text, name, labels);
                }
            }
        }

        return text.ToString();
    }

    /// <summary>Every counter and gauge now, as <c>name{labels}</c> → value (Prometheus names), for the dashboard.</summary>
    public IReadOnlyDictionary<string, double> Snapshot()
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        lock (_scrape)
        {
            _listener.RecordObservableInstruments();
            foreach (var (instrument, series) in _series)
            {
                foreach (var (labels, value) in series)
                {
                    if (value is ValueSeries single)
                    {
                        values[labels.Length == 0 ? NameOf(instrument) : $"{NameOf(instrument)}{{{labels}}}"] = single.Value;
                    }
                }
            }
        }

        return values;
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Series series;
        if (!TagSet.Fits(tags))
        {
            series = SeriesOf(instrument, tags);
        }
        else
        {
            var key = new TagSet(instrument, tags);
            if (!_byTags.TryGetValue(key, out var known))
            {
                known = _byTags.GetOrAdd(key, SeriesOf(instrument, tags));
            }

            series = known;
        }

        series.Add(value, replace: instrument.IsObservable);
    }

    private Series SeriesOf(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        _series.GetOrAdd(instrument, _ => new ConcurrentDictionary<string, Series>(StringComparer.Ordinal))
            .GetOrAdd(Labels(tags), _ => instrument is Histogram<double> ? new HistogramSeries(EngineMetrics.SecondsBuckets) : new ValueSeries());

    /// <summary>The Prometheus name: <c>messaging.provider.duration</c> in seconds → <c>messaging_provider_duration_seconds</c>.</summary>
    private static string NameOf(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        if (instrument.Unit == "s" && !name.EndsWith("_seconds", StringComparison.Ordinal))
        {
            name += "_seconds";
        }

        return instrument is Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<double>
            ? name + "_total"
            : name;
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }

        var parts = new List<string>(tags.Length);
        foreach (var (key, value) in tags)
        {
            var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            parts.Add($"{key}=\"{text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"");
        }

        parts.Sort(StringComparer.Ordinal);
        return string.Join(",", parts);
    }

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>An instrument and up to two text tags (the most any of the engine's measurements carries), compared by value.</summary>
    private readonly record struct TagSet(Instrument Instrument, string? Key1, string? Value1, string? Key2, string? Value2)
    {
        public TagSet(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
            : this(
                instrument,
                tags.Length > 0 ? tags[0].Key : null,
                tags.Length > 0 ? (string?)tags[0].Value : null,
                tags.Length > 1 ? tags[1].Key : null,
                tags.Length > 1 ? (string?)tags[1].Value : null)
        {
        }

        /// <summary>
        /// Whether the tags can be a key: at most two, each text or none. Another value (a number, a date) may equal one
        /// whose label differs (0.0 and -0.0), or equal nothing but itself; those find their series by their labels.
        /// </summary>
        public static bool Fits(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length > 2)
            {
                return false;
            }

            foreach (var (_, value) in tags)
            {
                if (value is not (null or string))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private abstract class Series
    {
        public abstract void Add(double value, bool replace);

        public abstract void Write(StringBuilder text, string name, string labels);
    }

    private sealed class ValueSeries : Series
    {
        private double _value;
        private readonly Lock _gate = new();

        public double Value
        {
            get
            {
                lock (_gate)
                {
                    return _value;
                }
            }
        }

        public override void Add(double value, bool replace)
        {
            lock (_gate)
            {
                _value = replace ? value : _value + value;
            }
        }

        public override void Write(StringBuilder text, string name, string labels)
        {
            lock (_gate)
            {
                text.Append(name);
                if (labels.Length > 0)
                {
                    text.Append('{').Append(labels).Append('}');
                }

                text.Append(' ').Append(Number(_value)).Append('\n');
            }
        }
    }

    private sealed class HistogramSeries(IReadOnlyList<double> bounds) : Series
    {
        private readonly long[] _buckets = new long[bounds.Count + 1];
        private readonly Lock _gate = new();
        private double _sum;
        private long _count;

        public override void Add(double value, bool replace)
        {
            lock (_gate)
            {
                var bucket = 0;
                while (bucket < bounds.Count && value > bounds[bucket])
                {
                    bucket++;
                }

                _buckets[bucket]++;
                _sum += value;
                _count++;
            }
        }

        public override void Write(StringBuilder text, string name, string labels)
        {
            lock (_gate)
            {
                var prefix = labels.Length > 0 ? labels + "," : "";
                long cumulative = 0;
                for (var i = 0; i <= bounds.Count; i++)
                {
                    cumulative += _buckets[i];
                    var le = i < bounds.Count ? Number(bounds[i]) : "+Inf";
                    text.Append(name).Append("_bucket{").Append(prefix).Append("le=\"").Append(le).Append("\"} ").Append(cumulative).Append('\n');
                }

                var suffix = labels.Length > 0 ? "{" + labels + "}" : "";
                text.Append(name).Append("_sum").Append(suffix).Append(' ').Append(Number(_sum)).Append('\n');
                text.Append(name).Append("_count").Append(suffix).Append(' ').Append(_count).Append('\n');
            }
        }
    }
}
