namespace Messaging.Engine.Ingest;

/// <summary>One queue the engine takes requests from.</summary>
public sealed class RequestQueueOptions
{
    /// <summary>Queue name (a <c>.fifo</c> name makes a FIFO queue).</summary>
    public string Name { get; set; } = "";

    /// <summary>0 is served first: when the send rate is the limit, requests from lower numbers go before higher ones.</summary>
    public int Priority { get; set; }

    /// <summary>Long-polling receivers on this queue.</summary>
    public int Pollers { get; set; } = 2;

    /// <summary>Requests from this queue being worked on at once; receivers ask SQS only for what fits.</summary>
    public int MaxInFlight { get; set; } = 200;
}

/// <summary>Where requests come from and how they are held. Section <c>Engine:Ingest</c>.</summary>
public sealed class IngestOptions
{
    public const string SectionName = "Engine:Ingest";

    /// <summary>False: the engine does not take requests (an operator-only node).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The request queues; defaults to one, <c>messaging-requests</c>.</summary>
    public List<RequestQueueOptions> RequestQueues { get; set; } = [];

    /// <summary>Where poison and invalid requests go, with the reason.</summary>
    public string DeadLetterQueue { get; set; } = "messaging-requests-dlq";

    /// <summary>Where SES/SMS events arrive (created by <c>engine init</c>; read by the feedback source).</summary>
    public string FeedbackQueue { get; set; } = "messaging-feedback";

    /// <summary>Where feedback that cannot be read or tied to a message goes, with the reason (14-day retention).</summary>
    public string FeedbackDeadLetterQueue { get; set; } = "messaging-feedback-dlq";

    /// <summary>
    /// Where <c>MessageStatusChanged</c> events are published (JSON, schema <c>messaging.status.v1</c>) so producers
    /// can react without polling; none (default) publishes nothing. At least once: consumers key on messageId + status.
    /// </summary>
    public string? StatusQueue { get; set; }

    /// <summary>The status queue, or null when none is configured (an empty setting counts as none).</summary>
    public string? StatusQueueName => string.IsNullOrWhiteSpace(StatusQueue) ? null : StatusQueue;

    /// <summary>A request queue holding more than this many messages is reported as lagging in readiness. Default 10,000.</summary>
    public long LaggingQueueDepth { get; set; } = 10_000;

    /// <summary>Long-poll wait of each receive (0–20 s).</summary>
    public TimeSpan WaitTime { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a received request stays hidden; a request held longer is extended before it reappears.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>On shutdown, how long in-flight requests may take to finish before they are released back to the queue.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The request queues, or the default one.</summary>
    public IReadOnlyList<RequestQueueOptions> Queues =>
        RequestQueues.Count > 0 ? RequestQueues : [new RequestQueueOptions { Name = "messaging-requests" }];

    internal IEnumerable<string> Validate()
    {
        foreach (var queue in Queues)
        {
            if (string.IsNullOrWhiteSpace(queue.Name))
            {
                yield return $"{SectionName}:RequestQueues: every queue needs a Name.";
            }

            if (queue.Pollers < 1 || queue.MaxInFlight < 1)
            {
                yield return $"{SectionName}:RequestQueues:{queue.Name}: Pollers and MaxInFlight must be at least 1.";
            }

            if (queue.Priority is < 0 or > 3)
            {
                yield return $"{SectionName}:RequestQueues:{queue.Name}: Priority must be 0–3.";
            }
        }

        if (WaitTime < TimeSpan.Zero || WaitTime > TimeSpan.FromSeconds(20))
        {
            yield return $"{SectionName}:WaitTime must be 0–20 seconds.";
        }

        if (VisibilityTimeout < TimeSpan.FromSeconds(5) || VisibilityTimeout > TimeSpan.FromHours(12))
        {
            yield return $"{SectionName}:VisibilityTimeout must be between 5 seconds and 12 hours.";
        }
    }
}
