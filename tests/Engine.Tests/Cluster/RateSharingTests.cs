using Akka.Actor;
using Akka.Cluster;
using Messaging.Engine.Cluster;

namespace Messaging.Engine.Tests.Cluster;

/// <summary>Who shares the account's rates, and when a node may use its share, from its view of the cluster.</summary>
public sealed class RateSharingTests
{
    private static SharingMember Member(int port, MemberStatus status = MemberStatus.Up, bool reachable = true, bool self = false) =>
        new(new Address("akka.tcp", "engine", "127.0.0.1", port), status, reachable, self);

    [Fact]
    public void A_joining_member_takes_a_share_at_once_while_it_may_not_send_itself_until_it_is_up()
    {
        var joining = RateSharing.Of([Member(1), Member(2), Member(3, MemberStatus.Joining, self: true)], removedLately: 0);
        var seenByAnOldOne = RateSharing.Of([Member(1, self: true), Member(2), Member(3, MemberStatus.Joining)], removedLately: 0);

        Assert.Equal(3, joining.Sharing);
        Assert.NotNull(joining.HoldReason);
        Assert.Equal(new RateSharing(3, null), seenByAnOldOne);
    }

    [Fact]
    public void A_removed_member_still_counts_while_it_is_removed_lately_and_a_node_not_yet_a_member_holds()
    {
        Assert.Equal(new RateSharing(3, null), RateSharing.Of([Member(1, self: true), Member(2)], removedLately: 1));
        Assert.Equal(2, RateSharing.Of([Member(1, self: true), Member(2)], removedLately: 0).Sharing);
        Assert.NotNull(RateSharing.Of([Member(1), Member(2)], removedLately: 0).HoldReason);
    }

    [Theory]
    [InlineData(5, 2, true)] // 3 of 5 reachable: the majority sends on
    [InlineData(5, 3, false)] // 2 of 5: the minority holds
    [InlineData(3, 1, true)] // a killed node among three: the two others send on
    public void The_side_that_keeps_the_majority_sends_and_the_other_holds(int members, int unreachable, bool sends)
    {
        var view = Enumerable.Range(1, members)
            .Select(port => Member(port, reachable: port <= members - unreachable, self: port == 1))
            .ToList();

        Assert.Equal(sends, RateSharing.Of(view, removedLately: 0).HoldReason is null);
    }

    [Fact]
    public void On_an_even_split_the_side_with_the_lowest_address_sends_and_the_other_holds()
    {
        var lowSide = RateSharing.Of([Member(1, self: true), Member(2), Member(3, reachable: false), Member(4, reachable: false)], removedLately: 0);
        var highSide = RateSharing.Of([Member(1, reachable: false), Member(2, reachable: false), Member(3, self: true), Member(4)], removedLately: 0);

        Assert.Null(lowSide.HoldReason);
        Assert.NotNull(highSide.HoldReason);
    }
}
