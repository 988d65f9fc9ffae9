using Akka.Actor;

namespace Messaging.Benchmarks;

/// <summary>Sends every ball back to whoever sent it.</summary>
internal sealed class Ponger : UntypedActor
{
    protected override void OnReceive(object message)
    {
        if (message is Pinger.Ball)
        {
            Sender.Tell(message);
        }
        else
        {
            Unhandled(message);
        }
    }
}
