using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;

namespace Messaging.Engine.Membership;

/// <summary>When this node saw each member become Up; a member's entry goes when it is removed, so it stays bounded.</summary>
public sealed class MemberUpTimes(TimeProvider time)
{
    private readonly ConcurrentDictionary<UniqueAddress, DateTimeOffset> _upSince = new();

    private volatile bool _olderMemberSeen;

    private DateTimeOffset Now => time.GetUtcNow();

    /// <summary>
    /// Whether this node ever saw a member Up that is older than itself: one that may have run a cluster singleton
    /// before this node did. False on the node the cluster formed around, for as long as it lives.
    /// </summary>
    public bool OlderMemberSeen => _olderMemberSeen;

    public DateTimeOffset? Of(Member member) => _upSince.TryGetValue(member.UniqueAddress, out var at) ? at : null;

    /// <summary>Starts following the cluster's membership events (the current members first) on <paramref name="system"/>.</summary>
    internal void Follow(ActorSystem system) => system.ActorOf(Props.Create(() => new Follower(this)), "member-up-times");

    private sealed class Follower : ReceiveActor
    {
        public Follower(MemberUpTimes times)
        {
            var cluster = Akka.Cluster.Cluster.Get(Context.System);
            Receive<ClusterEvent.MemberUp>(e =>
            {
                times._upSince.TryAdd(e.Member.UniqueAddress, times.Now);
                // Seen before this node is Up itself (it joined a running cluster), any other member is older.
                if (!e.Member.UniqueAddress.Equals(cluster.SelfUniqueAddress) && (cluster.SelfMember.Status != MemberStatus.Up || e.Member.IsOlderThan(cluster.SelfMember)))
                {
                    times._olderMemberSeen = true;
                }
            });
            Receive<ClusterEvent.MemberRemoved>(e => times._upSince.TryRemove(e.Member.UniqueAddress, out _));
        }

        protected override void PreStart() =>
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.InitialStateAsEvents, typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.MemberRemoved));

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }
}
