using Messaging.Engine.Persistence.AkkaPlugin;
using Messaging.Testing;

namespace Messaging.Engine.Tests.Persistence.AkkaPlugin;

public sealed class RecoveryPrefetchesTests
{
    private static readonly RecoveryRead NothingStored = new(null, [], EventsComplete: true, HighestSequenceNr: 0);
    private static readonly RecoveryRead OneEvent =
        new(null, [new JournalRow("a", 1, 1, "", [1], 0, "w", null)], EventsComplete: true, HighestSequenceNr: 1);

    [Fact]
    public void Reads_nobody_came_for_are_dropped_once_stale_so_a_full_cache_takes_new_ones_again()
    {
        var clock = new ManualTimeProvider();
        var prefetches = new RecoveryPrefetches(capacity: 2, clock);
        prefetches.Keep("a", OneEvent, prefetches.ChangesTo("a"));
        prefetches.Keep("b", OneEvent, prefetches.ChangesTo("b"));

        prefetches.Keep("c", OneEvent, prefetches.ChangesTo("c"));
        Assert.Null(prefetches.Find("c", take: true));

        clock.Advance(TimeSpan.FromSeconds(31));
        prefetches.Keep("d", OneEvent, prefetches.ChangesTo("d"));
        Assert.Same(OneEvent, prefetches.Find("d", take: true));
        Assert.Equal(0, prefetches.Count);
    }

    [Fact]
    public void A_read_is_served_while_fresh_dropped_by_a_change_to_its_id_and_never_served_stale()
    {
        var clock = new ManualTimeProvider();
        var prefetches = new RecoveryPrefetches(capacity: 10, clock);

        prefetches.Keep("a", OneEvent, prefetches.ChangesTo("a"));
        Assert.Same(OneEvent, prefetches.Find("a", take: false));
        prefetches.Forget("a");
        Assert.Null(prefetches.Find("a", take: false));

        prefetches.Keep("b", OneEvent, prefetches.ChangesTo("b"));
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Null(prefetches.Find("b", take: false));

        // Nothing to replay: the highest-sequence-number request is the last one to need it.
        prefetches.Keep("c", NothingStored, prefetches.ChangesTo("c"));
        Assert.Same(NothingStored, prefetches.Find("c", take: false));
        Assert.Equal(0, prefetches.Count);
    }

    [Fact]
    public void A_read_that_a_change_to_its_id_overtook_is_not_kept()
    {
        var prefetches = new RecoveryPrefetches(capacity: 10, new ManualTimeProvider());
        var changesBeforeRead = prefetches.ChangesTo("a");

        prefetches.Forget("a"); // a write began while the read was under way: the read may miss it
        prefetches.Keep("a", OneEvent, changesBeforeRead);

        Assert.Null(prefetches.Find("a", take: false));
        Assert.Equal(0, prefetches.Count);
    }

    [Fact]
    public void A_cache_full_of_fresh_reads_is_walked_for_stale_ones_at_most_once_per_max_age()
    {
        var clock = new ManualTimeProvider();
        var prefetches = new RecoveryPrefetches(capacity: 2, clock);
        prefetches.Keep("a", OneEvent, prefetches.ChangesTo("a"));
        prefetches.Keep("b", OneEvent, prefetches.ChangesTo("b"));

        for (var i = 0; i < 100; i++)
        {
            prefetches.Keep($"x-{i}", OneEvent, prefetches.ChangesTo($"x-{i}"));
        }

        clock.Advance(TimeSpan.FromSeconds(29));
        prefetches.Keep("y", OneEvent, prefetches.ChangesTo("y"));
        Assert.Equal(1, prefetches.Sweeps);
        Assert.Null(prefetches.Find("y", take: true));

        clock.Advance(TimeSpan.FromSeconds(2));
        prefetches.Keep("z", OneEvent, prefetches.ChangesTo("z"));
        Assert.Equal(2, prefetches.Sweeps);
        Assert.Same(OneEvent, prefetches.Find("z", take: true));
    }
}
