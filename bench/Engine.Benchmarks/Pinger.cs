using Akka.Actor;

namespace Messaging.Benchmarks;

/// <summary>Keeps a number of balls in flight with its <see cref="Ponger"/> until it has had the round trips asked for, then answers.</summary>
internal sealed class Pinger(IActorRef ponger) : UntypedActor
{
    private IActorRef _requester = ActorRefs.Nobody;
    private int _toSend;
    private int _toReceive;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Ball ball:
                if (_toSend > 0)
                {
                    _toSend--;
                    ponger.Tell(ball);
                }

                if (--_toReceive == 0)
                {
                    _requester.Tell(Done.Instance);
                }

                break;
            case Start start:
                _requester = Sender;
                _toReceive = start.RoundTrips;
                _toSend = start.RoundTrips;
                for (var i = 0; i < Math.Min(start.InFlight, start.RoundTrips); i++)
                {
                    _toSend--;
                    ponger.Tell(Ball.Instance);
                }

                break;
            default:
                Unhandled(message);
                break;
        }
    }

    public sealed record Start(int InFlight, int RoundTrips);

    public sealed record Done
    {
        public static Done Instance { get; } = new();
    }

    public sealed record Ball
    {
        public static Ball Instance { get; } = new();
    }
}
