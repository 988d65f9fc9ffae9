using Amazon.SQS.Model;
using Messaging.Engine.Aws;

namespace Messaging.Engine.Ingest;

/// <summary>A request received from a queue and not yet deleted or released: what visibility extension looks at.</summary>
internal sealed class InFlightRequest(RequestLane lane, Message message, DateTimeOffset receivedAt, DateTimeOffset visibleAt)
{
    public RequestLane Lane { get; } = lane;

    public Message Message { get; } = message;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    /// <summary>True when this receive may not put the request back for later (see <see cref="RequestLane.IsLastReceive"/>).</summary>
    public bool IsLastReceive => Lane.IsLastReceive(Message.ApproximateReceiveCount);

    /// <summary>When SQS will show the request to another receiver unless it is extended.</summary>
    public DateTimeOffset VisibleAt { get; set; } = visibleAt;

    /// <summary>True once its outcome is settled (ack, delay, DLQ): visibility is no longer extended.</summary>
    public bool Settled { get; set; }

    /// <summary>The work on it, awaited at shutdown.</summary>
    public Task Work { get; set; } = Task.CompletedTask;
}
