using Akka.Actor;

namespace Messaging.Engine.Cluster;

/// <summary>
/// Send slots shared through the cluster, for a rate too small to split: 1 SMS a second over three nodes cannot be a
/// third each, as each node's own 1-second window still holds one call, and three unsynchronised nodes could send all
/// three in the same second. Each such send takes a place from the one allocator in the cluster
/// (<see cref="SendSlotAllocator"/>), makes its call at once, and gives the place back after the answer; the allocator
/// lends the place again only a window after the provider can last have counted that call, so no window at the
/// provider holds more calls than the rate, however long the calls or the way to the allocator take.
/// </summary>
public sealed class ClusterSendSlots
{
    // A place is used only if the call can start within this of its grant; a slower one (a stalled node) gives it back
    // unused and asks again, a few times at most.
    private static readonly TimeSpan UseWithin = TimeSpan.FromMilliseconds(250);
    private const int Attempts = 3;

    // How long a node waits for the allocator's answer (it may be moving to another node) before the send fails as
    // never sent, to be retried. The allocator gives up on the ask at half of it, so that a place it grants still
    // reaches a node that waits.
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    private readonly Func<IActorRef> _allocator;
    private readonly TimeProvider _time;
    private readonly TimeSpan _providerWork;

    /// <param name="allocator">The allocator's proxy, resolved at the first slot: a single node never needs one.</param>
    /// <param name="callTimeout">The longest a provider call lasts (<c>Engine:Aws:RequestTimeout</c>).</param>
    /// <param name="providerWork">The provider's own least work on a call it answers (<c>Engine:Throttling:ProviderWorkAtLeast</c>).</param>
    internal ClusterSendSlots(Func<IActorRef> allocator, TimeProvider timeProvider, TimeSpan callTimeout, TimeSpan providerWork)
    {
        _allocator = allocator;
        _time = timeProvider;
        _providerWork = providerWork;
        HoldAtMost = HoldFor(callTimeout);
    }

    /// <summary>The longest this node holds a place: the time to start its call and the call's timeout.</summary>
    public TimeSpan HoldAtMost { get; }

    /// <summary>The longest a node whose provider calls time out after <paramref name="callTimeout"/> holds a place.</summary>
    public static TimeSpan HoldFor(TimeSpan callTimeout) => UseWithin + callTimeout;

    /// <summary>
    /// Takes a place of <paramref name="throttle"/>; the call must start now, and the place is given back with
    /// <see cref="Return"/> after it. Null when every place taken came too late to be used (nothing may be sent now).
    /// </summary>
    /// <exception cref="SendSlotUnavailableException">No place: the allocator did not answer, or had none in time.</exception>
    public async Task<SendSlotLease?> TakeAsync(string throttle, double accountRate, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var asked = _time.GetTimestamp();
            var slot = await AskAsync(new TakeSendSlot(throttle, accountRate, HoldAtMost, AnswerTimeout / 2), cancellationToken).ConfigureAwait(false);
            // The grant came at least Queued after this node asked: this is the most that can have passed since.
            if (_time.GetElapsedTime(asked) - slot.Queued <= UseWithin)
            {
                return new SendSlotLease(throttle, slot.Lease);
            }

            _allocator().Tell(new ReturnSendSlot(throttle, slot.Lease, Sent: false, TimeSpan.Zero));
        }

        return null;
    }

    /// <summary>Gives <paramref name="lease"/> back after its call; <paramref name="answered"/> when the provider answered it.</summary>
    public void Return(SendSlotLease lease, bool answered) =>
        _allocator().Tell(new ReturnSendSlot(lease.Throttle, lease.Id, Sent: true, answered ? _providerWork : TimeSpan.Zero));

    private async Task<SendSlot> AskAsync(TakeSendSlot take, CancellationToken cancellationToken)
    {
        object answer;
        try
        {
            answer = await _allocator().Ask<object>(take, AnswerTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException e)
        {
            throw new SendSlotUnavailableException($"The cluster's send-slot allocator did not answer within {AnswerTimeout.TotalSeconds:0} s.", e);
        }

        return answer switch
        {
            SendSlot slot => slot,
            SendSlotRefused refused => throw new SendSlotUnavailableException($"The cluster's send-slot allocator had none: {refused.Reason}."),
            _ => throw new SendSlotUnavailableException($"The cluster's send-slot allocator answered {answer.GetType().Name}."),
        };
    }
}
