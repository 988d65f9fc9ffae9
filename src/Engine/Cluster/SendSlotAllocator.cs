using Akka.Actor;

namespace Messaging.Engine.Cluster;

/// <summary>
/// The one place in the cluster that hands out send slots for a rate too small to split between the nodes (see
/// <see cref="ClusterSendSlots"/>): a cluster singleton, so every slot is spaced on one clock. When it moves to another
/// node (the oldest left or died), the new one hands out nothing for a quiet second: the slots its predecessor gave may
/// still be in their second.
/// </summary>
public sealed class SendSlotAllocator : ReceiveActor
{
    private readonly TimeProvider _time;
    private readonly Dictionary<string, long> _nextAt = new(StringComparer.Ordinal);
    private readonly long _quietUntil;

    public SendSlotAllocator(TimeProvider time)
    {
        _time = time;
        _quietUntil = time.GetTimestamp() + Stamps(Throttling.SendThrottle.Window);
        Receive<TakeSendSlot>(Take);
    }

    private void Take(TakeSendSlot take)
    {
        var now = _time.GetTimestamp();
        var interval = Stamps(ClusterSendSlots.IntervalFor(take.AccountRate));
        var next = _nextAt.TryGetValue(take.Throttle, out var at) && at > now ? at : Math.Max(now, _quietUntil);
        // A bounded map: one entry per throttle (email, sms, each configured origination).
        _nextAt[take.Throttle] = next + interval;
        // Rounded up: a wait a tick short would be a send a tick early.
        Sender.Tell(new SendSlot(TimeSpan.FromTicks((((next - now) * TimeSpan.TicksPerSecond) + _time.TimestampFrequency - 1) / _time.TimestampFrequency)));
    }

    private long Stamps(TimeSpan span) => span.Ticks * _time.TimestampFrequency / TimeSpan.TicksPerSecond;
}
