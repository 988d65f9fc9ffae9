using Akka.Actor;
using Akka.Cluster;

namespace Messaging.Engine.Cluster;

/// <summary>A member as the rate share counts it.</summary>
internal readonly record struct SharingMember(Address Address, MemberStatus Status, bool Reachable, bool IsSelf);

/// <summary>
/// How this node uses the account's rates, from its view of the Akka cluster: every member not yet removed takes an
/// equal share (a joining member counts at once, a leaving or downed one until it is gone), and the node sends only
/// while it is Up and on the side that the split-brain resolver (keep-majority) keeps.
/// </summary>
/// <param name="Sharing">Nodes the rates are divided by (at least 1).</param>
/// <param name="HoldReason">Why this node may not send now; null when it may.</param>
internal sealed record RateSharing(int Sharing, string? HoldReason)
{
    /// <param name="members">The members this node knows (removed ones are not among them).</param>
    /// <param name="removedLately">Removed members still counted for a while (see <see cref="RateShareActor"/>).</param>
    public static RateSharing Of(IReadOnlyCollection<SharingMember> members, int removedLately)
    {
        var sharing = Math.Max(1, members.Count + removedLately);
        var self = members.FirstOrDefault(m => m.IsSelf);
        if (!self.IsSelf)
        {
            return new(sharing, "not a member of the cluster yet");
        }

        if (self.Status is not (MemberStatus.Up or MemberStatus.Leaving))
        {
            return new(sharing, $"this node is {self.Status}, not Up");
        }

        // Keep-majority: the side with more than half the members stays, and on a tie the side with the lowest address.
        // A node on the other side stops sending at once, long before the resolver downs it and the others raise
        // their shares.
        var reachable = members.Count(m => m.Reachable && m.Status != MemberStatus.Down);
        var lowest = members.MinBy(m => m.Address, Member.AddressOrdering);
        if (reachable * 2 < members.Count || (reachable * 2 == members.Count && !lowest.Reachable))
        {
            return new(sharing, $"only {reachable} of {members.Count} members are reachable from this node");
        }

        return new(sharing, null);
    }
}
