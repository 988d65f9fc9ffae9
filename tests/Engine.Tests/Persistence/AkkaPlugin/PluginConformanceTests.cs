using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Recipients;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace Messaging.Engine.Tests.Persistence.AkkaPlugin;

/// <summary>
/// The Akka.Persistence plugin's conformance suite, modelled on Akka's JournalSpec and SnapshotStoreSpec (whose TCK is
/// not available to us), plus what the engine needs of it: group commit across entities, recovery in one round trip,
/// and failures that reach the entity. Each store runs it on a fresh database, with <c>config/akka.hocon</c> as shipped.
/// </summary>
public abstract class PluginConformanceTests : AkkaTestKit
{
    private const string Pid = "p-1";
    private readonly string _writerGuid = Guid.NewGuid().ToString();

    private protected PluginConformanceTests(Config storage, ITestOutputHelper output)
        : base(WithShippedSettings(storage), "plugin", output)
    {
    }

    /// <summary><paramref name="storage"/> over <c>config/akka.hocon</c>.</summary>
    internal static Config WithShippedSettings(Config storage) =>
        storage.WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(RepositoryLayout.PathOf("config", "akka.hocon"))));

    /// <summary>The plugin's settings for a store nothing answers.</summary>
    private protected abstract Config UnreachableStorage { get; }

    /// <summary>Runs <paramref name="sql"/> on the test's database, beside the plugin.</summary>
    private protected abstract Task ExecuteSqlAsync(string sql);

    /// <summary>Runs <paramref name="sql"/> on the test's database and answers the first column of the first row.</summary>
    private protected abstract Task<object?> ScalarAsync(string sql);

    /// <summary>A trigger that makes the store refuse any event whose payload contains <c>poison</c>.</summary>
    private protected abstract string RefusePoisonSql { get; }

    /// <summary>The test's database for the in-house journal (the old engine's tables).</summary>
    private protected abstract SqlDialect InHouseDialect();

    private IActorRef Journal => Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);

    private IActorRef SnapshotStore => Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);

    private protected EventStore Store => EventStores.Get(Sys).For(Sys.Settings.Config.GetConfig("akka.persistence.journal.engine"));

    // --- Journal, as in Akka's JournalSpec ---

    [Fact]
    public void Journal_replays_all_events_in_order_with_their_sequence_numbers_and_writer()
    {
        WriteEvents(1, 5);

        var replayed = Replay(1, long.MaxValue, long.MaxValue);

        Assert.Equal(["a-1", "a-2", "a-3", "a-4", "a-5"], replayed.Select(p => (string)p.Payload));
        Assert.Equal([1L, 2, 3, 4, 5], replayed.Select(p => p.SequenceNr));
        Assert.All(replayed, p => Assert.Equal((Pid, _writerGuid), (p.PersistenceId, p.WriterGuid)));
    }

    [Theory]
    [InlineData(3, long.MaxValue, long.MaxValue, new long[] { 3, 4, 5 })]
    [InlineData(1, 3, long.MaxValue, new long[] { 1, 2, 3 })]
    [InlineData(2, 3, long.MaxValue, new long[] { 2, 3 })]
    [InlineData(1, long.MaxValue, 3, new long[] { 1, 2, 3 })]
    [InlineData(2, long.MaxValue, 2, new long[] { 2, 3 })]
    [InlineData(1, 4, 2, new long[] { 1, 2 })]
    [InlineData(1, long.MaxValue, 0, new long[0])]
    [InlineData(3, 2, long.MaxValue, new long[0])]
    [InlineData(6, long.MaxValue, long.MaxValue, new long[0])]
    public void Journal_replays_the_range_and_count_asked_for(long from, long to, long max, long[] expected)
    {
        WriteEvents(1, 5);

        Assert.Equal(expected, Replay(from, to, max).Select(p => p.SequenceNr));
    }

    [Fact]
    public void The_highest_sequence_number_is_the_last_written_and_zero_for_an_unknown_id()
    {
        WriteEvents(1, 5);

        Assert.Equal(5, HighestSequenceNr(Pid));
        Assert.Equal(0, HighestSequenceNr("never-seen"));
    }

    [Fact]
    public void Deleted_events_are_not_replayed_and_the_highest_sequence_number_survives_deleting_them_all()
    {
        WriteEvents(1, 5);

        DeleteTo(3);
        Assert.Equal([4L, 5], Replay(1, long.MaxValue, long.MaxValue).Select(p => p.SequenceNr));

        DeleteTo(long.MaxValue);
        Assert.Empty(Replay(1, long.MaxValue, long.MaxValue));
        Assert.Equal(5, HighestSequenceNr(Pid));

        WriteEvents(6, 6);
        Assert.Equal([6L], Replay(1, long.MaxValue, long.MaxValue).Select(p => p.SequenceNr));
    }

    [Fact]
    public void An_atomic_write_of_several_events_is_replayed_whole_and_its_neighbours_in_the_same_call_too()
    {
        var probe = CreateTestProbe();
        AtomicWrite Atomic(params long[] seqs) => new(ImmutableList.CreateRange<IPersistentRepresentation>(seqs.Select(s => Persistent($"a-{s}", s))));
        Journal.Tell(new WriteMessages([Atomic(1, 2, 3), Atomic(4), Atomic(5, 6)], probe.Ref, 1));

        probe.ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal([1L, 2, 3, 4, 5, 6], Enumerable.Range(0, 6).Select(_ => probe.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr));
        Assert.Equal(6, Replay(1, long.MaxValue, long.MaxValue).Count);
    }

    [Fact]
    public void A_payload_that_cannot_be_serialized_is_rejected_alone_and_the_rest_of_the_call_is_written()
    {
        // Bound to the recipient-event serializer, which knows no name for it.
        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(
            [
                new AtomicWrite(Persistent("a-1", 1)),
                new AtomicWrite(Persistent(new UnnamedRecipientEvent(DateTimeOffset.UnixEpoch), 2)),
                new AtomicWrite(Persistent("a-3", 3)),
            ],
            probe.Ref, 1));

        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>();
        var rejected = probe.ExpectMsg<WriteMessageRejected>();
        Assert.Contains("has no journal type name", rejected.Cause.Message);
        probe.ExpectMsg<WriteMessageSuccess>();
        Assert.Equal([1L, 3], Replay(1, long.MaxValue, long.MaxValue).Select(p => p.SequenceNr));
    }

    // --- The read side, in the events' transaction ---

    [Fact]
    public async Task Read_model_rows_are_written_with_the_event_and_replay_gives_back_the_bare_event()
    {
        var probe = CreateTestProbe();
        var at = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
        var suppressed = new Messaging.Engine.Recipients.Events.Suppressed(
            Messaging.Engine.Recipients.Events.SuppressionReason.Operator, at, By: "ops", Note: "asked");
        var rows = new ReadModelRows(Pid, [Message("m-1", "sent")], [new StatusChange("m-1", "{\"status\":\"sent\"}")])
        {
            Suppression = new SuppressionRecord(Pid, "email", "operator", at, null, "ops", "asked"),
        };
        Journal.Tell(new WriteMessages([new AtomicWrite(Persistent(new WithReadModel(suppressed, rows), 1))], probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>();

        Assert.Equal(suppressed, Assert.Single(Replay(1, long.MaxValue, long.MaxValue)).Payload);
        Assert.Equal("recipient.suppressed.v1", await ScalarAsync($"SELECT manifest FROM event_journal WHERE persistence_id = '{Pid}'"));
        Assert.Equal("sent", await ScalarAsync("SELECT status FROM messages WHERE message_id = 'm-1'"));
        Assert.Equal("asked", await ScalarAsync($"SELECT note FROM suppressions WHERE recipient_key = '{Pid}'"));
        Assert.Equal("{\"status\":\"sent\"}", await ScalarAsync("SELECT payload FROM status_outbox WHERE message_id = 'm-1'"));

        Journal.Tell(new WriteMessages(
            [new AtomicWrite(Persistent(new WithReadModel("lifted", new ReadModelRows(Pid, [], []) { SuppressionLifted = true }), 2))], probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>();
        Assert.Equal(0L, Convert.ToInt64(await ScalarAsync($"SELECT COUNT(*) FROM suppressions WHERE recipient_key = '{Pid}'")));
    }

    [Fact]
    public async Task A_write_the_store_refuses_leaves_none_of_its_read_model_rows()
    {
        await ExecuteSqlAsync(RefusePoisonSql);
        var probe = CreateTestProbe();
        var rows = new ReadModelRows(Pid, [Message("m-1", "sent")], [new StatusChange("m-1", "{}")]);

        Journal.Tell(new WriteMessages([new AtomicWrite(Persistent(new WithReadModel("poison", rows), 1))], probe.Ref, 1));

        probe.ExpectMsg<WriteMessagesFailed>();
        probe.ExpectMsg<WriteMessageFailure>();
        Assert.Equal(0L, Convert.ToInt64(await ScalarAsync("SELECT COUNT(*) FROM messages")));
        Assert.Equal(0L, Convert.ToInt64(await ScalarAsync("SELECT COUNT(*) FROM status_outbox")));
    }

    [Fact]
    public async Task A_write_that_claims_a_taken_message_id_is_rejected_alone_and_stores_nothing_of_its_entity()
    {
        const string ana = "email:ana@example.com", bob = "email:bob@example.com", carol = "email:carol@example.com";
        var probe = CreateTestProbe();
        AtomicWrite Claiming(string pid, string messageId, string status) => new(Persistent(
            new WithReadModel($"{pid}-accepted", new ReadModelRows(pid, [], [new StatusChange(messageId, "{}")])
            {
                Claim = Message(messageId, status) with { RecipientKey = pid },
            }), 1, pid));

        Journal.Tell(new WriteMessages([Claiming(ana, "m-1", "sending")], probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>();

        // One call, three entities: bob's claim finds ana's row; carol's and dave's plain write go in beside it.
        Journal.Tell(new WriteMessages(
            [
                Claiming(bob, "m-1", "sending"),
                new AtomicWrite(Persistent("bob-2", 2, bob)),
                Claiming(carol, "m-2", "scheduled"),
                new AtomicWrite(Persistent("dave-1", 1, "email:dave@example.com")),
            ],
            probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        var rejected = probe.ExpectMsg<WriteMessageRejected>();
        var taken = Assert.IsType<MessageIdTakenException>(rejected.Cause);
        Assert.Equal(("m-1", ana, "sending"), (taken.MessageId, taken.Owner?.RecipientKey, taken.Owner?.Status));
        Assert.IsType<MessageIdTakenException>(probe.ExpectMsg<WriteMessageRejected>().Cause);
        Assert.Equal(1, probe.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
        Assert.Equal(1, probe.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);

        Assert.Equal(0L, HighestSequenceNr(bob));
        Assert.Equal([$"{carol}-accepted"], Replay(1, long.MaxValue, long.MaxValue, carol).Select(p => p.Payload));
        Assert.Equal(ana, await ScalarAsync("SELECT recipient_key FROM messages WHERE message_id = 'm-1'"));
        Assert.Equal("scheduled", await ScalarAsync("SELECT status FROM messages WHERE message_id = 'm-2'"));
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync("SELECT COUNT(*) FROM status_outbox WHERE message_id = 'm-1'")));
    }

    [Fact]
    public async Task A_claiming_write_whose_events_an_earlier_attempt_stored_fails_rather_than_call_its_own_message_a_duplicate()
    {
        var probe = CreateTestProbe();
        var write = new AtomicWrite(Persistent(
            new WithReadModel("a-1", new ReadModelRows(Pid, [], []) { Claim = Message("m-1", "sending") }), 1));
        Journal.Tell(new WriteMessages([write], probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>();

        // The same write again, as the group commit retries a batch whose commit looked failed but went through.
        Journal.Tell(new WriteMessages([write], probe.Ref, 1));
        Assert.Contains("stored by an earlier attempt", probe.ExpectMsg<WriteMessagesFailed>().Cause.ToString());
        probe.ExpectMsg<WriteMessageFailure>();
        Assert.Equal("sending", await ScalarAsync("SELECT status FROM messages WHERE message_id = 'm-1'"));
        Assert.Equal(1L, HighestSequenceNr(Pid));
    }

    [Fact]
    public async Task A_claim_goes_over_its_recipients_own_bare_claim_but_not_over_a_message_it_recorded_before()
    {
        var probe = CreateTestProbe();
        await ExecuteSqlAsync($"""
            INSERT INTO messages (message_id, recipient_key, channel, category, status, reason, accepted_at, updated_at, accepted_day, opens, clicks)
            VALUES ('m-1', '{Pid}', 'email', 'transactional', 'accepted', '{Messaging.Engine.Recipients.RecipientReadModel.ClaimReason}', 0, 0, 0, 0, 0)
            """);
        AtomicWrite Claiming(string messageId, long sequenceNr) => new(Persistent(
            new WithReadModel($"a-{sequenceNr}", new ReadModelRows(Pid, [], []) { Claim = Message(messageId, "sending") }), sequenceNr));

        // A bare claim (written alone by earlier versions, which crashed before the events) is the recipient's own to go on with.
        Journal.Tell(new WriteMessages([Claiming("m-1", 1)], probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>();
        Assert.Equal("sending", await ScalarAsync("SELECT status FROM messages WHERE message_id = 'm-1'"));

        // Once something is recorded about it, claiming it again is a duplicate even for the same recipient.
        Journal.Tell(new WriteMessages([Claiming("m-1", 2)], probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal(Pid, Assert.IsType<MessageIdTakenException>(probe.ExpectMsg<WriteMessageRejected>().Cause).Owner?.RecipientKey);
        Assert.Equal(1L, HighestSequenceNr(Pid));
    }

    private static MessageRecord Message(string id, string status) => new(
        id, Pid, "email", "transactional", status, null, null,
        new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));

    // --- Snapshot store, as in Akka's SnapshotStoreSpec ---

    [Fact]
    public void The_latest_snapshot_loads_and_criteria_select_older_ones_by_sequence_number_and_time()
    {
        var saved = SaveSnapshots(Pid, 1, 5);

        Assert.Equal(saved[^1], LoadSnapshot(SnapshotSelectionCriteria.Latest)?.Metadata);
        Assert.Equal("s-5", LoadSnapshot(SnapshotSelectionCriteria.Latest)?.Snapshot);
        Assert.Equal(saved[2], LoadSnapshot(new SnapshotSelectionCriteria(3))?.Metadata);
        Assert.Equal(saved[1], LoadSnapshot(new SnapshotSelectionCriteria(long.MaxValue, saved[1].Timestamp))?.Metadata);
        Assert.Equal(saved[3], LoadSnapshot(new SnapshotSelectionCriteria(4, DateTime.MaxValue, 2, saved[1].Timestamp))?.Metadata);
        Assert.Null(LoadSnapshot(new SnapshotSelectionCriteria(0)));
        Assert.Null(LoadSnapshot(SnapshotSelectionCriteria.Latest, "never-seen"));
    }

    [Fact]
    public void A_snapshot_deleted_by_its_metadata_or_by_criteria_no_longer_loads()
    {
        var saved = SaveSnapshots(Pid, 1, 5);
        var probe = CreateTestProbe();

        SnapshotStore.Tell(new DeleteSnapshot(saved[4]), probe.Ref);
        probe.ExpectMsg<DeleteSnapshotSuccess>();
        Assert.Equal(saved[3], LoadSnapshot(SnapshotSelectionCriteria.Latest)?.Metadata);

        SnapshotStore.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(3)), probe.Ref);
        probe.ExpectMsg<DeleteSnapshotsSuccess>();
        Assert.Null(LoadSnapshot(new SnapshotSelectionCriteria(3)));
        Assert.Equal(saved[3], LoadSnapshot(SnapshotSelectionCriteria.Latest)?.Metadata);
    }

    [Fact]
    public void Saving_a_snapshot_again_at_the_same_sequence_number_replaces_it()
    {
        var probe = CreateTestProbe();
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 7, DateTime.UtcNow), "first"), probe.Ref);
        probe.ExpectMsg<SaveSnapshotSuccess>();
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 7, DateTime.UtcNow), "second"), probe.Ref);
        probe.ExpectMsg<SaveSnapshotSuccess>();

        Assert.Equal("second", LoadSnapshot(SnapshotSelectionCriteria.Latest)?.Snapshot);
    }

    // --- What the engine needs on top ---

    [Fact]
    public void An_entity_recovers_from_its_snapshot_and_the_events_after_it_in_one_round_trip()
    {
        var probe = CreateTestProbe();
        var first = Sys.ActorOf(Recorder.Props("entity", probe.Ref));
        probe.ExpectMsg<Recorder.Recovered>();
        first.Tell(new Recorder.Write("one", "two"));
        probe.ExpectMsg<Recorder.Persisted>();
        first.Tell(new Recorder.TakeSnapshot());
        probe.ExpectMsg<SaveSnapshotSuccess>();
        first.Tell(new Recorder.Write("three"));
        first.Tell(new Recorder.Write("four"));
        probe.ExpectMsg<Recorder.Persisted>();
        probe.ExpectMsg<Recorder.Persisted>();
        Watch(first);
        first.Tell(PoisonPill.Instance);
        ExpectTerminated(first);

        var before = Store.ReadRoundTrips;
        Sys.ActorOf(Recorder.Props("entity", probe.Ref));

        var recovered = probe.ExpectMsg<Recorder.Recovered>();
        Assert.Equal(["one", "two", "three", "four"], recovered.Events);
        Assert.Equal(4, recovered.LastSequenceNr);
        Assert.Equal(1, Store.ReadRoundTrips - before);
    }

    [Fact]
    public void An_entity_never_seen_before_recovers_in_one_round_trip_and_persists_from_sequence_number_one()
    {
        var probe = CreateTestProbe();
        var before = Store.ReadRoundTrips;
        var entity = Sys.ActorOf(Recorder.Props("new-entity", probe.Ref));

        Assert.Equal(0, probe.ExpectMsg<Recorder.Recovered>().LastSequenceNr);
        Assert.Equal(1, Store.ReadRoundTrips - before);
        entity.Tell(new Recorder.Write("hello"));
        Assert.Equal(1, probe.ExpectMsg<Recorder.Persisted>().LastSequenceNr);
        Assert.Equal(0, Store.Prefetches.Count);
    }

    [Fact]
    public void Many_entities_persisting_at_once_share_transactions_and_each_replays_exactly_its_own_events()
    {
        const int Entities = 1_000;
        var probe = CreateTestProbe();
        var entities = Enumerable.Range(0, Entities).Select(i => Sys.ActorOf(Recorder.Props($"e-{i}", probe.Ref))).ToList();
        probe.ReceiveN(Entities, TimeSpan.FromSeconds(60));
        var (batchesBefore, writesBefore) = Store.WriterCounts;

        for (var round = 1; round <= 3; round++)
        {
            for (var i = 0; i < Entities; i++)
            {
                entities[i].Tell(new Recorder.Write($"e-{i}:{round}"));
            }

            var persisted = probe.ReceiveN(Entities, TimeSpan.FromSeconds(60)).Cast<Recorder.Persisted>();
            Assert.All(persisted, p => Assert.Equal(round, p.LastSequenceNr));
        }

        var (batches, writes) = Store.WriterCounts;
        Assert.Equal(3 * Entities, writes - writesBefore);
        Assert.True(batches - batchesBefore < (writes - writesBefore) / 4,
            $"{writes - writesBefore} writes took {batches - batchesBefore} transactions: the group commit did not group them");
        foreach (var i in new[] { 0, 1, 499, 999 })
        {
            Assert.Equal([$"e-{i}:1", $"e-{i}:2", $"e-{i}:3"], Replay(1, long.MaxValue, long.MaxValue, $"e-{i}").Select(p => (string)p.Payload));
        }
    }

    [Fact]
    public async Task A_write_the_store_refuses_fails_the_persist_and_leaves_nothing_of_its_atomic_write()
    {
        var probe = CreateTestProbe();
        var entity = Sys.ActorOf(Recorder.Props("refused", probe.Ref));
        probe.ExpectMsg<Recorder.Recovered>();
        entity.Tell(new Recorder.Write("kept"));
        probe.ExpectMsg<Recorder.Persisted>();
        await ExecuteSqlAsync(RefusePoisonSql);

        Watch(entity);
        entity.Tell(new Recorder.Write("fine", "poison", "also fine"));

        var failed = probe.ExpectMsg<Recorder.PersistFailed>();
        Assert.Contains("refused #2", failed.Reason);
        ExpectTerminated(entity);
        Sys.ActorOf(Recorder.Props("refused", probe.Ref));
        var recovered = probe.ExpectMsg<Recorder.Recovered>();
        Assert.Equal(["kept"], recovered.Events);
        Assert.Equal(1, recovered.LastSequenceNr);
    }

    [Fact]
    public async Task A_call_whose_write_the_store_refuses_fails_whole_and_leaves_none_of_its_atomic_writes()
    {
        WriteEvents(1, 1);
        await ExecuteSqlAsync(RefusePoisonSql);
        var probe = CreateTestProbe();

        Journal.Tell(new WriteMessages(
            [new AtomicWrite(Persistent("a-2", 2)), new AtomicWrite(Persistent("poison", 3)), new AtomicWrite(Persistent("a-4", 4))],
            probe.Ref, 1));

        Assert.Contains("poison refused", probe.ExpectMsg<WriteMessagesFailed>().Cause.Message);
        Assert.Equal([1L], Replay(1, long.MaxValue, long.MaxValue).Select(p => p.SequenceNr));
        Assert.Equal(1, HighestSequenceNr(Pid));
    }

    [Fact]
    public async Task A_call_spanning_two_entities_whose_write_the_store_refuses_leaves_neither_stored()
    {
        await ExecuteSqlAsync(RefusePoisonSql);
        var probe = CreateTestProbe();

        Journal.Tell(new WriteMessages(
            [new AtomicWrite(Persistent("a-1", 1)), new AtomicWrite(Persistent("poison", 1, "p-2"))], probe.Ref, 1));

        Assert.Contains("poison refused", probe.ExpectMsg<WriteMessagesFailed>().Cause.Message);
        Assert.Equal(0, HighestSequenceNr(Pid));
        Assert.Equal(0, HighestSequenceNr("p-2"));
    }

    [Fact]
    public void Storage_that_cannot_be_reached_fails_recovery_and_writes_with_a_reason()
    {
        var system = ActorSystem.Create("unreachable", WithShippedSettings(UnreachableStorage));
        try
        {
            var probe = CreateTestProbe(system);
            system.ActorOf(Recorder.Props("anyone", probe.Ref));
            var failed = probe.ExpectMsg<Recorder.RecoveryFailed>(TimeSpan.FromSeconds(30));
            Assert.Contains("failed", failed.Reason);

            var journal = Akka.Persistence.Persistence.Instance.Apply(system).JournalFor(null);
            journal.Tell(new WriteMessages([new AtomicWrite(Persistent("a-1", 1))], probe.Ref, 1), probe.Ref);
            Assert.Contains("failed", probe.ExpectMsg<WriteMessagesFailed>(TimeSpan.FromSeconds(30)).Cause.Message);
            probe.ExpectMsg<WriteMessageFailure>();
        }
        finally
        {
            Shutdown(system);
        }
    }

    private Persistent Persistent(object payload, long sequenceNr, string persistenceId = Pid) =>
        new(payload, sequenceNr, persistenceId, string.Empty, false, ActorRefs.NoSender, _writerGuid);

    private void WriteEvents(long from, long to)
    {
        var probe = CreateTestProbe();
        var writes = new List<IPersistentEnvelope>();
        for (var s = from; s <= to; s++)
        {
            writes.Add(new AtomicWrite(Persistent($"a-{s}", s)));
        }

        Journal.Tell(new WriteMessages(writes, probe.Ref, 1));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        for (var s = from; s <= to; s++)
        {
            Assert.Equal(s, probe.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
        }
    }

    private List<IPersistentRepresentation> Replay(long from, long to, long max, string persistenceId = Pid)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(from, to, max, persistenceId, probe.Ref));
        var replayed = new List<IPersistentRepresentation>();
        while (true)
        {
            switch (probe.ExpectMsg<object>())
            {
                case ReplayedMessage m:
                    replayed.Add(m.Persistent);
                    break;
                case RecoverySuccess:
                    return replayed;
                case var other:
                    throw new InvalidOperationException($"Replay answered {other}.");
            }
        }
    }

    private long HighestSequenceNr(string persistenceId)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(long.MaxValue, long.MaxValue, 0, persistenceId, probe.Ref));
        return probe.ExpectMsg<RecoverySuccess>().HighestSequenceNr;
    }

    // --- Migration 10: histories the in-house journal wrote ---

    [Fact]
    public async Task Migration_10_copies_a_version_1_history_with_its_snapshot_so_Akka_recovery_builds_the_same_state()
    {
        const string ana = "email:ana@example.com";
        var serializer = new RecipientEventSerializer();
        var sample = File.ReadAllLines(RepositoryLayout.PathOf("tests", "Engine.Tests", "Recipients", "Samples", "recipient-events.v1.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => new NewEvent(e.GetProperty("type").GetString()!, Encoding.UTF8.GetBytes(e.GetProperty("payload").GetRawText())))
            .ToArray();
        RecipientState StateAfter(IEnumerable<NewEvent> events) =>
            RecipientState.Empty.ApplyAll(events.Select(e => serializer.Deserialize(e.Type, e.Payload)));

        // A database the old engine wrote (its rows as it wrote them): a snapshot after ten events, the events before
        // it trimmed, nine events after it.
        await using (await SqlJournal.OpenAsync(InHouseDialect(), TimeProvider.System, NullLogger.Instance, default))
        {
        }

        await using (var dialect = InHouseDialect())
        {
            await using var connection = await dialect.OpenAsync(forWrite: true, default);
            var writtenAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            async Task InsertAsync(string sql, long sequenceNr, NewEvent stored)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = sql;
                foreach (var (name, value) in new (string, object)[] { ("@pid", ana), ("@seq", sequenceNr), ("@type", stored.Type), ("@payload", stored.Payload.ToArray()), ("@at", writtenAt) })
                {
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = name;
                    parameter.Value = value;
                    command.Parameters.Add(parameter);
                }

                await command.ExecuteNonQueryAsync();
            }

            for (var seq = 10; seq <= 19; seq++)
            {
                await InsertAsync("INSERT INTO journal (persistence_id, sequence_nr, type, payload, written_at) VALUES (@pid, @seq, @type, @payload, @at)", seq, sample[seq - 1]);
            }

            await InsertAsync("INSERT INTO snapshots (persistence_id, sequence_nr, type, payload, written_at) VALUES (@pid, @seq, @type, @payload, @at)",
                10, serializer.SerializeState(StateAfter(sample[..10])));
        }

        // Migration 10 not yet applied to it: opening it applies it, as the new engine's start does.
        await ExecuteSqlAsync("DELETE FROM schema_migrations WHERE version = 10");
        Assert.Equal(0L, Convert.ToInt64(await ScalarAsync($"SELECT COUNT(*) FROM event_journal WHERE persistence_id = '{ana}'")));
        await using (await SqlJournal.OpenAsync(InHouseDialect(), TimeProvider.System, NullLogger.Instance, default))
        {
        }

        var probe = CreateTestProbe();
        var entity = Sys.ActorOf(RecipientStateShell.Props(ana, probe.Ref));
        var recovered = probe.ExpectMsg<RecipientStateShell.Recovered>();

        Assert.Equal(19, recovered.LastSequenceNr);
        Assert.Equal(serializer.SerializeState(StateAfter(sample)).Payload.ToArray(), serializer.SerializeState(recovered.State).Payload.ToArray());
        Assert.True(recovered.State.IsSuppressed);
        Assert.Equal(1L, Convert.ToInt64(await ScalarAsync(
            $"SELECT COUNT(*) FROM snapshot_store WHERE persistence_id = '{ana}' AND sequence_nr = 10 AND serializer_id = {RecipientEventAkkaSerializer.Id}")));

        // The entity goes on from the copied history's highest sequence number.
        entity.Tell(new[] { serializer.Deserialize(sample[0].Type, sample[0].Payload) });
        Assert.Equal(20, probe.ExpectMsg<RecipientStateShell.Recovered>().LastSequenceNr);
    }

    private void DeleteTo(long toSequenceNr)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(Pid, toSequenceNr, probe.Ref));
        probe.ExpectMsg<DeleteMessagesSuccess>();
    }

    private List<SnapshotMetadata> SaveSnapshots(string persistenceId, int from, int to)
    {
        var probe = CreateTestProbe();
        var saved = new List<SnapshotMetadata>();
        var start = new DateTime(2026, 11, 30, 6, 0, 0, DateTimeKind.Utc);
        for (var s = from; s <= to; s++)
        {
            // A second apart, so that time criteria select exactly one.
            var metadata = new SnapshotMetadata(persistenceId, s, start.AddSeconds(s));
            SnapshotStore.Tell(new SaveSnapshot(metadata, $"s-{s}"), probe.Ref);
            saved.Add(probe.ExpectMsg<SaveSnapshotSuccess>().Metadata);
        }

        return saved;
    }

    private SelectedSnapshot? LoadSnapshot(SnapshotSelectionCriteria criteria, string persistenceId = Pid)
    {
        var probe = CreateTestProbe();
        SnapshotStore.Tell(new LoadSnapshot(persistenceId, criteria, long.MaxValue), probe.Ref);
        return probe.ExpectMsg<LoadSnapshotResult>().Snapshot;
    }
}
