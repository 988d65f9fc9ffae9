using Akka.Actor;
using Akka.Event;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>
/// Answers the sender of a message to a recipient that Akka dropped instead of delivering — sharding drops what it
/// buffered for a shard being handed off, and what reaches an entity as it stops — with a failure at once: its request
/// is retried then, instead of its ask waiting out the delivery timeout.
/// </summary>
internal sealed class DroppedRecipientMessages : ReceiveActor
{
    public DroppedRecipientMessages()
    {
        Receive<AllDeadLetters>(dead =>
        {
            var message = dead.Message is IWrappedMessage wrapped ? wrapped.Message : dead.Message;
            // Only an asker can be answered; what sharding drops from its own buffers names the region as sender, and
            // those asks end at their timeout (RequestProcessor puts the request back then).
            if (message is IRecipientMessage and not AbandonDelivery && !dead.Sender.IsNobody() && !dead.Sender.Equals(Context.System.DeadLetters)
                && !dead.Sender.Path.ToStringWithoutAddress().StartsWith("/system/sharding/", StringComparison.Ordinal))
            {
                dead.Sender.Tell(message is Deliver
                    ? DeliveryOutcome.RetryLater.AfterMove($"{message} was not delivered: its recipient was moving to another node", 0)
                    : RecipientEntityException.Answer(new InvalidOperationException(
                        $"{message} was not delivered to its recipient's entity (it was moving between nodes or stopping)")));
            }
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(AllDeadLetters));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
