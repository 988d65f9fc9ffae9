using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;

namespace Messaging.Engine.Membership;

/// <summary>When this node saw each member become Up; a member's entry goes when it is removed, so it stays bounded.</summary>
public sealed class MemberUpTimes(TimeProvider time)
{
    private readonly ConcurrentDictionary<UniqueAddress, DateTimeOffset> _upSince = new();

    private DateTimeOffset Now => time.GetUtcNow();

    public DateTimeOffset? Of(Member member) => _upSince.TryGetValue(member.UniqueAddress, out var at) ? at : null;

    /// <summary>Starts following the cluster's membership events (the current members first) on <paramref name="system"/>.</summary>
    internal void Follow(ActorSystem system) => system.ActorOf(Props.Create(() => new Follower(this)), "member-up-times");

    private sealed class Follower : ReceiveActor
    {
        public Follower(MemberUpTimes times)
        {
            Receive<ClusterEvent.MemberUp>(e => times._upSince.TryAdd(e.Member.UniqueAddress, times.Now));
            Receive<ClusterEvent.MemberRemoved>(e => times._upSince.TryRemove(e.Member.UniqueAddress, out _));
        }

        protected override void PreStart() =>
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.InitialStateAsEvents, typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.MemberRemoved));

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }
}
