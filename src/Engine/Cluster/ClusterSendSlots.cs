using Akka.Actor;

namespace Messaging.Engine.Cluster;

/// <summary>
/// Send slots shared through the cluster, for a rate too small to split: 1 SMS a second over three nodes cannot be a
/// third each, as each node's own 1-second window still holds one call, and three unsynchronised nodes could send all
/// three in the same second. Each such send takes the next slot of its throttle from the one allocator in the cluster
/// (<see cref="SendSlotAllocator"/>, slots a whole interval apart on its clock) and waits for it.
/// </summary>
public sealed class ClusterSendSlots
{
    // Slots are spaced more than the rate allows, for what happens between the slot and the provider's count (the
    // answer crossing the network, the connection pool, a new connection's setup: a first call was measured arriving
    // 40–90 ms after its slot). 100 ms costs a tenth of a rate that is small anyway; a window held until each call's
    // answer (as SendThrottle's) would make it provable.
    private static readonly TimeSpan Guard = TimeSpan.FromMilliseconds(100);

    // A send whose answer came back or whose timer woke this much after its slot may have lost its place: the next
    // slot's holder could be on time. It takes another slot instead of sending late, a few times at most.
    private const int Attempts = 3;

    // How long a node waits for the allocator's answer (it may be moving to another node) before the send fails as
    // never sent, to be retried.
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    private readonly Func<IActorRef> _allocator;
    private readonly TimeProvider _time;

    /// <param name="allocator">The allocator's proxy, resolved at the first slot: a single node never needs one.</param>
    internal ClusterSendSlots(Func<IActorRef> allocator, TimeProvider timeProvider)
    {
        _allocator = allocator;
        _time = timeProvider;
    }

    /// <summary>The time between two slots for an account rate: a whole second ÷ the calls a second may hold.</summary>
    public static TimeSpan IntervalFor(double accountRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(accountRate);
        var callsPerSecond = accountRate >= 1 ? Math.Floor(accountRate) : accountRate;
        return TimeSpan.FromSeconds(1 / callsPerSecond) + Guard;
    }

    /// <summary>
    /// Takes the next slot of <paramref name="throttle"/> and waits for it; returns false when every slot taken was
    /// missed (the allocator or this machine answered too slowly to send on time), so the caller must not send now.
    /// </summary>
    /// <exception cref="SendSlotUnavailableException">The allocator did not answer: no slot was taken.</exception>
    public async Task<bool> WaitForSlotAsync(string throttle, double accountRate, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var (wait, asked) = await TakeSlotAsync(throttle, accountRate, cancellationToken).ConfigureAwait(false);
            // The slot began between asking and the answer, plus the wait: waiting from the answer is never early.
            if (wait > TimeSpan.Zero)
            {
                await _time.WaitRoundedUpAsync(wait, cancellationToken).ConfigureAwait(false);
            }

            // ...and at most this late: the next slot's holder may be on time, so a later send could crowd it.
            if (_time.GetElapsedTime(asked) - wait <= Guard)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Takes the next slot of <paramref name="throttle"/> and returns how long from now it begins.</summary>
    /// <exception cref="SendSlotUnavailableException">The allocator did not answer: no slot was taken.</exception>
    public async Task<TimeSpan> TakeAsync(string throttle, double accountRate, CancellationToken cancellationToken) =>
        (await TakeSlotAsync(throttle, accountRate, cancellationToken).ConfigureAwait(false)).Wait;

    /// <summary>The wait for the slot, and this node's timestamp just before it asked.</summary>
    private async Task<(TimeSpan Wait, long Asked)> TakeSlotAsync(string throttle, double accountRate, CancellationToken cancellationToken)
    {
        var asked = _time.GetTimestamp();
        try
        {
            var slot = await _allocator().Ask<SendSlot>(new TakeSendSlot(throttle, accountRate), AnswerTimeout, cancellationToken).ConfigureAwait(false);
            return (slot.Wait, asked);
        }
        catch (AskTimeoutException e)
        {
            throw new SendSlotUnavailableException($"The cluster's send-slot allocator did not answer within {AnswerTimeout.TotalSeconds:0} s.", e);
        }
    }
}
