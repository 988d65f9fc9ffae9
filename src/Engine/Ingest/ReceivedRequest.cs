using Amazon.SQS.Model;
using Messaging.Engine.Aws;

namespace Messaging.Engine.Ingest;

/// <summary>
/// A request received from a queue and not yet settled: what the visibility keeper extends and shutdown gives back.
/// It moves once, from waiting to started (its work began) or given back (shutdown released it before it started),
/// and from started to settled.
/// </summary>
internal sealed class ReceivedRequest(RequestQueue queue, Message message, DateTimeOffset receivedAt, DateTimeOffset visibleAt)
{
    private const int Waiting = 0, Started = 1, GivenBack = 2, Settled = 3;
    private int _state;

    public RequestQueue Queue { get; } = queue;

    public Message Message { get; } = message;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    /// <summary>True when this receive may not put the request back for later (see <see cref="RequestQueue.IsLastReceive"/>).</summary>
    public bool IsLastReceive => Queue.IsLastReceive(Message.ApproximateReceiveCount);

    /// <summary>When SQS will show the request to another receiver unless it is extended (the keeper's alone).</summary>
    public DateTimeOffset VisibleAt { get; set; } = visibleAt;

    /// <summary>True once its outcome is decided: its visibility is no longer extended, and shutdown leaves it be.</summary>
    public bool IsSettled => Volatile.Read(ref _state) is GivenBack or Settled;

    /// <summary>Its work may begin: false when shutdown gave it back first.</summary>
    public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Waiting) == Waiting;

    /// <summary>Shutdown may give it back at once: false when its work began first.</summary>
    public bool TryGiveBack() => Interlocked.CompareExchange(ref _state, GivenBack, Waiting) == Waiting;

    public void MarkSettled() => Volatile.Write(ref _state, Settled);
}
