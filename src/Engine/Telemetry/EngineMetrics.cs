using System.Diagnostics.Metrics;
using Messaging.Contracts.Requests;
using Messaging.Engine.Throttling;

namespace Messaging.Engine.Telemetry;

/// <summary>
/// The engine's instruments, on the <c>Messaging.Engine</c> meter (<c>dotnet-counters monitor -n … Messaging.Engine</c>,
/// OpenTelemetry, and the host's <c>/metrics</c>). Names follow OpenTelemetry's conventions; the Prometheus
/// exposition turns <c>messaging.sends</c> into <c>messaging_sends_total</c>, seconds into <c>_seconds</c>.
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "Messaging.Engine";

    /// <summary>
    /// How many configuration sets get a label value of their own on the send counter; names come from requests, so
    /// past these the rest count as <see cref="OtherConfigurationSets"/> and a scraper's series stay bounded.
    /// </summary>
    public const int ConfigurationSetLabels = 32;

    /// <summary>The label value of the configuration sets past the first <see cref="ConfigurationSetLabels"/>.</summary>
    public const string OtherConfigurationSets = "other";

    /// <summary>Latency buckets, in seconds, for provider calls and request-to-send times.</summary>
    public static readonly IReadOnlyList<double> SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _received;
    private readonly Counter<long> _receiveCalls;
    private readonly Counter<long> _outcomes;
    private readonly Counter<long> _sends;
    private readonly Counter<long> _throttled;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _providerDuration;
    private readonly Histogram<double> _sendLatency;
    private readonly Dictionary<string, long> _queueDepths = [];
    private readonly HashSet<string> _configurationSets = new(StringComparer.Ordinal);
    private readonly Lock _labelGate = new();
    private readonly Lock _depthGate = new();

    /// <param name="liveActors">Read at collection time: the recipient entities depend (through the sender) on these metrics.</param>
    /// <param name="journalWrites">The journal plugin's group commit so far (transactions, writes), read at collection time.</param>
    internal EngineMetrics(SendThrottles throttles, Func<int> liveActors, Func<(long Batches, long Writes)> journalWrites, ProviderHealth providers)
    {
        _received = _meter.CreateCounter<long>("messaging.requests.received", "{request}", "Requests received from the request queues");
        _receiveCalls = _meter.CreateCounter<long>("messaging.sqs.receives", "{call}",
            "SQS ReceiveMessage calls made, by queue (request and feedback queues; empty and failed receives included)");
        _outcomes = _meter.CreateCounter<long>("messaging.requests.outcomes", "{request}",
            "Requests decided, by outcome: sent, duplicate, rejected, failed, unconfirmed, scheduled, retry, paused, dead_letter, invalid");
        _sends = _meter.CreateCounter<long>("messaging.sends", "{message}", "Messages the provider accepted, by channel and configuration set");
        _throttled = _meter.CreateCounter<long>("messaging.provider.throttled", "{call}", "Provider calls answered 429 (throttled)");
        _retries = _meter.CreateCounter<long>("messaging.retries", "{request}", "Requests put back for a retry after a transient failure");
        _deadLettered = _meter.CreateCounter<long>("messaging.dead_lettered", "{message}", "Messages written to a dead-letter queue");
        _providerDuration = _meter.CreateHistogram("messaging.provider.duration", "s", "Provider call duration",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _sendLatency = _meter.CreateHistogram("messaging.request.send_latency", "s", "From a request's arrival on SQS to the provider accepting it",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

        _meter.CreateObservableGauge("messaging.send_rate.limit", () => new[]
        {
            new Measurement<double>(throttles.Email.Limit, new KeyValuePair<string, object?>("channel", "email")),
            new Measurement<double>(throttles.Sms.Limit, new KeyValuePair<string, object?>("channel", "sms")),
        }, "{message}/s", "The send rate limit (no 1-second window may exceed it)");
        _meter.CreateObservableGauge("messaging.send_rate.pace", () => new[]
        {
            new Measurement<double>(throttles.Email.CurrentRate, new KeyValuePair<string, object?>("channel", "email")),
            new Measurement<double>(throttles.Sms.CurrentRate, new KeyValuePair<string, object?>("channel", "sms")),
        }, "{message}/s", "The pace the throttle runs at now: the limit, or less after the provider throttled");
        _meter.CreateObservableGauge("messaging.actors.live", liveActors, "{actor}", "Recipient entities in memory on this node");
        _meter.CreateObservableGauge("messaging.cluster.nodes", () => throttles.Nodes, "{node}",
            "Live nodes sharing the account's send rates, this one included, as of its last heartbeat");
        _meter.CreateObservableCounter("messaging.journal.batches", () => journalWrites().Batches, "{batch}",
            "Journal transactions committed (appends ÷ batches = the mean batch size)");
        _meter.CreateObservableCounter("messaging.journal.appends", () => journalWrites().Writes, "{append}",
            "Journal writes committed (one per entity persist call)");
        _meter.CreateObservableGauge("messaging.provider.up", () => providers.Now().Select(p =>
                new Measurement<int>(p.Up ? 1 : 0, new KeyValuePair<string, object?>("provider", p.Provider))).ToList(),
            null, "1 while the provider answers (below 500), 0 after a call could not reach it, timed out or got a 5xx");
        _meter.CreateObservableGauge("messaging.provider.last_failure_timestamp", () => providers.Now().Where(p => p.LastFailureAt is not null).Select(p =>
                new Measurement<double>(p.LastFailureAt!.Value.ToUnixTimeMilliseconds() / 1000.0, new KeyValuePair<string, object?>("provider", p.Provider))).ToList(),
            "s", "When a call to the provider last failed (Unix time); the reason is in /health/ready and on the dashboard");
        _meter.CreateObservableGauge("messaging.queue.depth", QueueDepths, "{message}",
            "Messages on a queue (visible, in flight and delayed), as SQS last reported them");
    }

    /// <summary>This engine's meter: an exporter listens to it (and not to another engine's in the same process).</summary>
    public Meter Meter => _meter;

    public void RequestsReceived(string queue, int count) => _received.Add(count, new KeyValuePair<string, object?>("queue", queue));

    /// <summary>One ReceiveMessage call on <paramref name="queue"/>, whatever it returned: SQS bills every one.</summary>
    public void ReceiveCalled(string queue) => _receiveCalls.Add(1, new KeyValuePair<string, object?>("queue", queue));

    public void RequestDecided(string outcome) => _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Sent(Channel channel, string? configurationSet) => _sends.Add(1,
        new KeyValuePair<string, object?>("channel", ContractNames.Of(channel)),
        new KeyValuePair<string, object?>("configuration_set", ConfigurationSetLabel(configurationSet)));

    private string ConfigurationSetLabel(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "";
        }

        lock (_labelGate)
        {
            return _configurationSets.Contains(name) || (_configurationSets.Count < ConfigurationSetLabels && _configurationSets.Add(name))
                ? name
                : OtherConfigurationSets;
        }
    }

    public void Throttled(Channel channel) => _throttled.Add(1, new KeyValuePair<string, object?>("channel", ContractNames.Of(channel)));

    public void Retried() => _retries.Add(1);

    public void DeadLettered(string queue) => _deadLettered.Add(1, new KeyValuePair<string, object?>("queue", queue));

    public void ProviderCall(Channel channel, TimeSpan duration) =>
        _providerDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("channel", ContractNames.Of(channel)));

    public void RequestToSend(TimeSpan latency) => _sendLatency.Record(Math.Max(0, latency.TotalSeconds));

    public void QueueDepth(string queue, long depth)
    {
        lock (_depthGate)
        {
            _queueDepths[queue] = depth;
        }
    }

    /// <summary>Each queue's depth as SQS last reported it (every 15 s).</summary>
    public IReadOnlyDictionary<string, long> QueueDepthsNow()
    {
        lock (_depthGate)
        {
            return new Dictionary<string, long>(_queueDepths, StringComparer.Ordinal);
        }
    }

    private IEnumerable<Measurement<long>> QueueDepths()
    {
        lock (_depthGate)
        {
            return _queueDepths.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("queue", d.Key))).ToList();
        }
    }

    public void Dispose() => _meter.Dispose();
}
