using Akka.Actor;
using Akka.Configuration;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Recipients.Events;
using Messaging.Engine.Reputation;
using Messaging.Engine.Sending;
using Messaging.Engine.Tests.Persistence.AkkaPlugin;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace Messaging.Engine.Tests.Recipients;

/// <summary>
/// Recipient entities (Akka persistent actors) on the engine's plugin over a real SQLite file: the scenarios of the
/// in-house actor's tests, and what sharding's single writer adds (a send in flight holds every other command back).
/// </summary>
public sealed class RecipientEntityTests : AkkaTestKit, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly string _directory;
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly ManualTimeProvider _time = new();
    private readonly RecipientKey _ana = RecipientKey.For(Channel.Email, "ana@example.com");
    private readonly RecipientKey _bob = RecipientKey.For(Channel.Email, "bob@example.com");

    public RecipientEntityTests(ITestOutputHelper output)
        : this(Path.Combine(Path.GetTempPath(), $"messaging-entities-{Guid.NewGuid():N}"), output)
    {
    }

    private RecipientEntityTests(string directory, ITestOutputHelper output)
        : base(Storage(directory), "entities", output)
    {
        _directory = directory;
    }

    private string DatabasePath => Path.Combine(_directory, "engine.db");

    /// <summary>
    /// The shipped settings over a database in <paramref name="directory"/>. With <paramref name="serializeMessages"/> every
    /// message to an actor goes through serialization, as if the entity lived on another node.
    /// </summary>
    private static Config Storage(string directory, bool serializeMessages = true) => PluginConformanceTests.WithShippedSettings(ConfigurationFactory.ParseString($$"""
        akka.actor.serialize-messages = {{(serializeMessages ? "on" : "off")}}
        akka.persistence.journal.engine { provider = sqlite, sqlite-path = "{{Path.Combine(directory, "engine.db")}}" }
        """));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        if (disposing && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>The services of one node; the provider is <paramref name="provider"/>, or nowhere.</summary>
    private RecipientEntityServices Services(
        int snapshotEvery = 100, SendingOptions? sending = null, FeedbackProgress? feedback = null, Uri? provider = null)
    {
        var aws = AwsTestServices.Create(ses: provider ?? new Uri("http://127.0.0.1:9"), sms: provider ?? new Uri("http://127.0.0.1:9"));
        _disposables.Add(aws);
        return new RecipientEntityServices(
            aws.GetRequiredService<MessageRenderer>(), aws.GetRequiredService<SendGate>(), aws.GetRequiredService<SendThrottles>(),
            Options.Create(sending ?? new SendingOptions()), Options.Create(new JournalOptions { SnapshotEvery = snapshotEvery }), _time,
            aws.GetRequiredService<ReputationGuard>(), aws.GetRequiredService<ReputationCounter>(), feedback ?? new FeedbackProgress());
    }

    private IActorRef Start(RecipientKey key, RecipientEntityServices services, ActorSystem? system = null) =>
        (system ?? Sys).ActorOf(RecipientEntity.Props(key, services));

    private void Stop(IActorRef entity)
    {
        Watch(entity);
        entity.Tell(StopRecipient.Instance);
        ExpectTerminated(entity, Deadline);
    }

    /// <summary>
    /// Asks through a probe rather than <c>Ask</c>: <c>serialize-messages</c> checks what is sent to an actor, not to an
    /// ask's future, and the answer must go through serialization too. A failure answer is thrown with its cause.
    /// </summary>
    private async Task<T> AskAsync<T>(IActorRef entity, object message)
    {
        var probe = CreateTestProbe();
        entity.Tell(message, probe.Ref);
        return await probe.ExpectMsgAsync<object>(Deadline) switch
        {
            T answer => answer,
            Status.Failure failure => throw new InvalidOperationException($"The entity answered a failure: {failure.Cause}", failure.Cause),
            var other => throw new InvalidOperationException($"The entity answered {other}, not a {typeof(T).Name}."),
        };
    }

    private Task<RecipientSnapshot> StateOf(IActorRef entity, RecipientKey key) => AskAsync<RecipientSnapshot>(entity, new QueryRecipient(key));

    private Task<SuppressionChange> Suppress(IActorRef entity, RecipientKey key, string note = "asked") =>
        AskAsync<SuppressionChange>(entity, new SuppressByOperator(key, "ops@example.com", note));

    private Task<SuppressionChange> Unsuppress(IActorRef entity, RecipientKey key) =>
        AskAsync<SuppressionChange>(entity, new UnsuppressByOperator(key, "ops@example.com", "fixed"));

    private Task<DeliveryOutcome> Deliver(IActorRef entity, RecipientKey key, MessageRequest request) =>
        AskAsync<DeliveryOutcome>(entity, new Deliver(key, request, 0));

    private MessageRequest Request(string id, RecipientKey? to = null, DateTimeOffset? notBefore = null) => new()
    {
        MessageId = id, Channel = Channel.Email, To = (to ?? _ana).Address, From = "news@example.com", NotBefore = notBefore,
        Content = new MessageContent { Subject = "Hi", Text = "Hello" },
    };

    /// <summary>
    /// Writes <paramref name="events"/> as the recipient's history, as an earlier incarnation would have: in another actor
    /// system over the same database, whose test-only messages need not serialize.
    /// </summary>
    private async Task WriteHistoryAsync(RecipientKey key, params IRecipientEvent[] events)
    {
        var earlier = ActorSystem.Create("earlier", Storage(_directory, serializeMessages: false));
        try
        {
            var probe = CreateTestProbe(earlier);
            var shell = earlier.ActorOf(RecipientStateShell.Props(key.ToString(), probe.Ref));
            await probe.ExpectMsgAsync<RecipientStateShell.Recovered>(Deadline);
            shell.Tell(events);
            await probe.ExpectMsgAsync<RecipientStateShell.Recovered>(Deadline);
        }
        finally
        {
            await earlier.Terminate();
        }
    }

    private async Task<List<long>> QueryLongsAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var values = new List<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetInt64(0));
        }

        return values;
    }

    [Fact]
    public async Task A_suppression_survives_passivation_and_the_revived_entity_knows_it()
    {
        var services = Services();
        var entity = Start(_ana, services);
        var at = _time.GetUtcNow();

        Assert.Equal(SuppressionChange.Suppressed, await Suppress(entity, _ana, "customer asked by phone"));
        Stop(entity);
        _time.Advance(TimeSpan.FromMinutes(10));

        var revived = Start(_ana, services);
        var state = await StateOf(revived, _ana);

        Assert.Equal(1, state.SequenceNr);
        Assert.Equal(new Suppression(SuppressionReason.Operator, at, null, "ops@example.com", "customer asked by phone"), state.State.Suppression);
        Assert.Equal(SuppressionChange.AlreadySuppressed, await Suppress(revived, _ana));
    }

    [Fact]
    public async Task A_restarted_process_recovers_the_state_from_the_journal()
    {
        var first = Start(_ana, Services());
        await Suppress(first, _ana);
        await Unsuppress(first, _ana);
        await Suppress(first, _ana);
        Stop(first);

        // Another actor system: its own event store over the same database file, nothing kept in memory.
        var second = ActorSystem.Create("restarted", Storage(_directory));
        try
        {
            var recovered = await StateOf(Start(_ana, Services(), second), _ana);

            Assert.Equal(3, recovered.SequenceNr);
            Assert.True(recovered.State.IsSuppressed);
        }
        finally
        {
            await second.Terminate();
        }
    }

    [Fact]
    public async Task Every_N_events_a_snapshot_is_saved_the_events_before_it_deleted_and_recovery_uses_both()
    {
        var services = Services(snapshotEvery: 3);
        var entity = Start(_ana, services);
        for (var i = 0; i < 4; i++)
        {
            await Suppress(entity, _ana);
            await Unsuppress(entity, _ana);
        }

        var pid = _ana.ToString();
        await Messaging.Testing.AwaitCondition.UntilAsync(
            async () => (await QueryLongsAsync($"SELECT sequence_nr FROM event_journal WHERE persistence_id = '{pid}' AND deleted = 0 ORDER BY sequence_nr"))
                .SequenceEqual([7L, 8L]),
            Deadline, "the events up to the snapshot at #6 are deleted");
        Assert.Equal([3L, 6L], await QueryLongsAsync($"SELECT sequence_nr FROM snapshot_store WHERE persistence_id = '{pid}' ORDER BY sequence_nr"));
        Stop(entity);

        var recovered = await StateOf(Start(_ana, services), _ana);
        Assert.Equal(8, recovered.SequenceNr);
        Assert.False(recovered.State.IsSuppressed);
    }

    [Fact]
    public async Task Suppressions_and_message_rows_reach_the_read_tables_in_the_events_transaction()
    {
        var entity = Start(_ana, Services());

        await Suppress(entity, _ana, "by phone");
        Assert.IsType<DeliveryOutcome.Rejected>(await Deliver(entity, _ana, Request("m1")));

        Assert.Equal([1L], await QueryLongsAsync($"SELECT COUNT(*) FROM suppressions WHERE recipient_key = '{_ana}'"));
        Assert.Equal(["suppressed"], await QueryTextsAsync("SELECT status FROM messages WHERE message_id = 'm1'"));
        await Unsuppress(entity, _ana);
        Assert.Equal([0L], await QueryLongsAsync($"SELECT COUNT(*) FROM suppressions WHERE recipient_key = '{_ana}'"));
    }

    [Fact]
    public async Task Two_recipients_given_one_message_id_take_it_once_and_the_second_answers_duplicate()
    {
        var services = Services();
        var ana = Start(_ana, services);
        var bob = Start(_bob, services);
        var later = _time.GetUtcNow().AddHours(1);

        var first = await Deliver(ana, _ana, Request("m1", _ana, later));
        var second = await Deliver(bob, _bob, Request("m1", _bob, later));
        var again = await Deliver(ana, _ana, Request("m1", _ana, later));

        Assert.IsType<DeliveryOutcome.Scheduled>(first);
        Assert.Equal(MessageStatus.Scheduled, Assert.IsType<DeliveryOutcome.Duplicate>(second).Status);
        Assert.IsType<DeliveryOutcome.Scheduled>(again);
        Assert.Null((await StateOf(bob, _bob)).State.Find("m1"));
    }

    [Fact]
    public async Task A_second_recipient_sending_a_taken_message_id_calls_no_provider_and_goes_on_with_its_next_message()
    {
        var provider = await ProviderSimulator.StartAsync(emailRate: 100, smsRate: 100, latency: TimeSpan.Zero);
        _disposables.Add(provider);
        var services = Services(provider: provider.Endpoint);
        var ana = Start(_ana, services);
        var bob = Start(_bob, services);

        Assert.IsType<DeliveryOutcome.Sent>(await Deliver(ana, _ana, Request("m1", _ana)));

        // Bob's intent write claims m1 and is refused whole: no provider call, nothing of it recorded, the entity goes on;
        // the permit it took no longer counts as a send on its way to the window.
        Assert.Equal(MessageStatus.Sent, Assert.IsType<DeliveryOutcome.Duplicate>(await Deliver(bob, _bob, Request("m1", _bob))).Status);
        Assert.Equal(0, services.Throttles.Email.PermitsOutNow);
        Assert.Equal(RejectionOutcome.MessageIdTaken, await AskAsync<RejectionOutcome>(bob, new RecordRejectedRequest(_bob, "m1", "invalid request: $.to")));
        Assert.IsType<DeliveryOutcome.Sent>(await Deliver(bob, _bob, Request("m2", _bob)));
        Assert.Equal(2, provider.AcceptedCount);
        Assert.Null((await StateOf(bob, _bob)).State.Find("m1"));

        // And recovers from what was stored.
        Stop(bob);
        var recovered = Start(_bob, services);
        Assert.Equal(MessageStatus.Sent, (await StateOf(recovered, _bob)).State.Find("m2")!.Status);
        Assert.Null((await StateOf(recovered, _bob)).State.Find("m1"));
    }

    [Fact]
    public async Task A_request_that_finds_an_earlier_send_in_flight_waits_for_it_and_calls_it_unknown_only_after_the_grace()
    {
        // An earlier incarnation (on a node that lost the shard) wrote m1's intent just now; its call may still be running.
        var now = _time.GetUtcNow();
        await WriteHistoryAsync(_ana, new RequestAccepted("m1", Category.Transactional, now), new SendIntended("m1", now));
        var entity = Start(_ana, Services());
        var grace = new SendingOptions().InFlightGrace;

        var early = await Deliver(entity, _ana, Request("m1"));

        // Neither unknown nor sent again while that send may still succeed: put back until after it.
        Assert.Equal(grace, Assert.IsType<DeliveryOutcome.RetryLater>(early).Delay);
        Assert.True((await StateOf(entity, _ana)).State.Find("m1")!.SendPending);

        _time.Advance(grace);
        var late = await Deliver(entity, _ana, Request("m1"));

        Assert.IsType<DeliveryOutcome.Unconfirmed>(late);
    }

    [Fact]
    public async Task An_unknown_send_is_held_for_its_send_event_and_one_the_provider_showed_it_took_is_never_resent()
    {
        var after = TimeSpan.FromMinutes(10);
        var now = _time.GetUtcNow();
        // m1 froze mid-call; m2 too, but the provider has since reported a delivery delay for it: it did take m2.
        await WriteHistoryAsync(_ana,
            new RequestAccepted("m1", Category.Transactional, now), new SendIntended("m1", now), new SendUnconfirmed("m1", "timed out", now),
            new RequestAccepted("m2", Category.Transactional, now), new SendIntended("m2", now), new SendUnconfirmed("m2", "timed out", now),
            new DeliveryDelayed("m2", now, "MailboxFull", "fb-1"));
        var entity = Start(_ana, Services(sending: new SendingOptions { ReconcileUnknownAfter = after }));

        var early = await Deliver(entity, _ana, Request("m1"));
        Assert.Equal(now + after, Assert.IsType<DeliveryOutcome.Reconciling>(early).Due);

        _time.Advance(after);
        Assert.IsType<DeliveryOutcome.Duplicate>(await Deliver(entity, _ana, Request("m2")));
        Assert.False((await StateOf(entity, _ana)).State.Find("m2")!.ResentAfterUnknown);
    }

    [Fact]
    public async Task An_unknown_send_is_resent_only_once_the_feedback_queue_was_seen_drained_after_its_deadline()
    {
        var after = TimeSpan.FromMinutes(10);
        var feedback = new FeedbackProgress();
        var unknownAt = _time.GetUtcNow();
        await WriteHistoryAsync(_ana,
            new RequestAccepted("m1", Category.Transactional, unknownAt), new SendIntended("m1", unknownAt), new SendUnconfirmed("m1", "timed out", unknownAt));
        var entity = Start(_ana, Services(sending: new SendingOptions { ReconcileUnknownAfter = after }, feedback: feedback));

        // The deadline passed, but the feedback queue was never read (stopped, or slow): a Send event may still come.
        _time.Advance(after + TimeSpan.FromMinutes(5));
        Assert.IsType<DeliveryOutcome.Reconciling>(await Deliver(entity, _ana, Request("m1")));
        // Read, but only up to a moment before the deadline: still not proof.
        feedback.Drained(unknownAt + after - TimeSpan.FromSeconds(1));
        var waiting = Assert.IsType<DeliveryOutcome.Reconciling>(await Deliver(entity, _ana, Request("m1")));
        Assert.True(waiting.Due > _time.GetUtcNow());
        Assert.False((await StateOf(entity, _ana)).State.Find("m1")!.ResentAfterUnknown);

        // Drained after the deadline: no Send event is coming, so it is sent once more.
        feedback.Drained(_time.GetUtcNow());
        await Deliver(entity, _ana, Request("m1"));
        Assert.True((await StateOf(entity, _ana)).State.Find("m1")!.ResentAfterUnknown);
    }

    [Fact]
    public async Task A_command_sent_while_a_send_is_in_flight_is_handled_after_its_outcome_is_persisted()
    {
        // The provider answers two seconds after it took a send: long enough for a command to arrive in between.
        var provider = await ProviderSimulator.StartAsync(emailRate: 100, smsRate: 100, latency: TimeSpan.FromSeconds(2));
        _disposables.Add(provider);
        var entity = Start(_ana, Services(provider: provider.Endpoint));

        var delivery = Deliver(entity, _ana, Request("m1"));
        await Messaging.Testing.AwaitCondition.UntilAsync(
            () => delivery.IsCompleted ? throw new InvalidOperationException($"Answered before the provider took it: {delivery.Result}") : Task.FromResult(provider.AcceptedCount == 1),
            Deadline, "the provider took the send and has not answered yet");
        var suppression = Suppress(entity, _ana, "while sending");

        var sent = await delivery;
        Assert.True(sent is DeliveryOutcome.Sent, $"{sent}");
        Assert.Equal(SuppressionChange.Suppressed, await suppression);
        // The suppression was decided after the send's outcome was durable, never in between.
        var manifests = await QueryTextsAsync($"SELECT manifest FROM event_journal WHERE persistence_id = '{_ana}' ORDER BY sequence_nr");
        Assert.Equal(["recipient.request-accepted.v1", "recipient.send-intended.v1", "recipient.sent.v1", "recipient.suppressed.v1"], manifests);
        Assert.Equal(1, provider.AcceptedCount);
    }

    [Fact]
    public async Task A_restarted_entity_with_an_open_intent_records_unknown_and_does_not_call_the_provider()
    {
        var provider = await ProviderSimulator.StartAsync(emailRate: 100, smsRate: 100, latency: TimeSpan.Zero);
        _disposables.Add(provider);
        var services = Services(provider: provider.Endpoint);
        var now = _time.GetUtcNow();
        await WriteHistoryAsync(_ana, new RequestAccepted("m1", Category.Transactional, now), new SendIntended("m1", now));
        _time.Advance(new SendingOptions().InFlightGrace);

        var entity = Start(_ana, services);
        var outcome = await Deliver(entity, _ana, Request("m1"));

        Assert.Contains("never recorded", Assert.IsType<DeliveryOutcome.Unconfirmed>(outcome).Reason);
        Assert.Equal(MessageStatus.Unknown, (await StateOf(entity, _ana)).State.Find("m1")!.Status);
        Assert.Empty(provider.CallTimes);
    }

    [Fact]
    public Task A_journal_write_that_fails_answers_the_asker_with_the_failure_and_stops_the_entity() =>
        RefusedWriteStopsTheEntityAsync(Services(), "recipient.suppressed.v1", entity => Suppress(entity, _ana));

    [Fact]
    public async Task A_send_intent_the_journal_refuses_stops_the_entity_and_gives_its_permit_back()
    {
        var services = Services();
        await RefusedWriteStopsTheEntityAsync(services, "recipient.send-intended.v1", entity => Deliver(entity, _ana, Request("m1")));

        // The permit its intent was written for no longer counts as a send on its way to the window.
        Assert.Equal(0, services.Throttles.Email.PermitsOutNow);
    }

    /// <summary>
    /// Has the journal refuse every event named <paramref name="manifest"/>, then checks that <paramref name="ask"/>,
    /// which writes one, is answered the failure and that the entity stops.
    /// </summary>
    private async Task RefusedWriteStopsTheEntityAsync(RecipientEntityServices services, string manifest, Func<IActorRef, Task> ask)
    {
        // Without serialize-messages: it would also check Akka.Persistence's replies from the journal, which never leave
        // the node, and a storage failure's SqliteException does not survive Akka's Newtonsoft default. That the failure
        // answer itself crosses nodes is RecipientProtocolSerializerTests' concern.
        var local = ActorSystem.Create("local", Storage(_directory, serializeMessages: false));
        try
        {
            var entity = Start(_ana, services, local);
            await StateOf(entity, _ana);
            await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=false"))
            {
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = $"""
                    CREATE TRIGGER refuse_writes BEFORE INSERT ON event_journal
                    WHEN NEW.manifest = '{manifest}' BEGIN SELECT RAISE(ABORT, 'refused'); END;
                    """;
                await command.ExecuteNonQueryAsync();
            }

            var watcher = CreateTestProbe(local);
            watcher.Watch(entity);
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => ask(entity));

            Assert.Contains("refused", failure.ToString());
            await watcher.ExpectTerminatedAsync(entity, Deadline);
        }
        finally
        {
            await local.Terminate();
        }
    }

    [Fact]
    public async Task A_delivery_sent_over_the_wire_is_sent_once_and_its_repeat_answered_duplicate()
    {
        var provider = await ProviderSimulator.StartAsync(emailRate: 100, smsRate: 100, latency: TimeSpan.Zero);
        _disposables.Add(provider);
        var entity = Start(_ana, Services(provider: provider.Endpoint));

        var sent = Assert.IsType<DeliveryOutcome.Sent>(await Deliver(entity, _ana, Request("m1")));
        var again = await Deliver(entity, _ana, Request("m1"));

        Assert.False(string.IsNullOrEmpty(sent.ProviderMessageId));
        Assert.Equal(MessageStatus.Sent, Assert.IsType<DeliveryOutcome.Duplicate>(again).Status);
        Assert.Equal(1, provider.AcceptedCount);
        Assert.Equal(sent.ProviderMessageId, (await StateOf(entity, _ana)).State.Find("m1")!.ProviderMessageId);
    }

    [Fact]
    public async Task Feedback_and_rejections_sent_over_the_wire_are_answered_with_what_they_recorded()
    {
        var entity = Start(_ana, Services());
        var later = _time.GetUtcNow().AddHours(1);
        Assert.IsType<DeliveryOutcome.Scheduled>(await Deliver(entity, _ana, Request("m1", notBefore: later)));
        var opened = new ProviderFeedback(FeedbackKind.Opened, Channel.Email, _ana.Address, "m1", "ses-1", _time.GetUtcNow(), "fb-1");

        // The number of events written (an int: Akka.Remote's primitive serializer), then 0 for the same provider event.
        Assert.Equal(1, await AskAsync<int>(entity, new RecordProviderFeedback(_ana, opened, null)));
        Assert.Equal(0, await AskAsync<int>(entity, new RecordProviderFeedback(_ana, opened, null)));
        Assert.Equal(RejectionOutcome.Recorded, await AskAsync<RejectionOutcome>(entity, new RecordRejectedRequest(_ana, "bad-1", "invalid request: $.content")));
        Assert.Equal(RejectionOutcome.MessageIdTaken, await AskAsync<RejectionOutcome>(entity, new RecordRejectedRequest(_ana, "m1", "invalid request: $.to")));

        var state = (await StateOf(entity, _ana)).State;
        Assert.Equal(1, state.Find("m1")!.Opens);
        Assert.Equal(MessageStatus.Rejected, state.Find("bad-1")!.Status);
    }

    [Fact]
    public async Task A_request_abandoned_while_it_waits_for_its_send_permit_is_answered_a_failure_and_never_sent()
    {
        var provider = await ProviderSimulator.StartAsync(emailRate: 100, smsRate: 100, latency: TimeSpan.Zero);
        _disposables.Add(provider);
        var services = Services(provider: provider.Endpoint);
        // No permit for an hour: the request waits for the send rate until it is abandoned.
        services.Throttles.Email.PauseUntil(DateTimeOffset.UtcNow.AddHours(1));
        var entity = Start(_ana, services);
        var asker = CreateTestProbe();

        // The same sender's messages arrive in order: the abandon finds the request waiting, whenever it comes.
        entity.Tell(new Deliver(_ana, Request("m1"), 0), asker.Ref);
        entity.Tell(new AbandonDelivery(_ana, "m1"), asker.Ref);

        var failure = await asker.ExpectMsgAsync<Status.Failure>(Deadline);
        Assert.IsAssignableFrom<OperationCanceledException>(failure.Cause);
        // Nothing was intended (nor accepted: the request goes back to its queue), and the entity takes commands again.
        Assert.Null((await StateOf(entity, _ana)).State.Find("m1"));
        Assert.Equal(SuppressionChange.Suppressed, await Suppress(entity, _ana));
        Assert.Equal(["recipient.suppressed.v1"], await QueryTextsAsync($"SELECT manifest FROM event_journal WHERE persistence_id = '{_ana}' ORDER BY sequence_nr"));
        Assert.Empty(provider.CallTimes);
    }

    [Fact]
    public async Task A_request_abandoned_once_its_send_intent_is_written_is_sent_once()
    {
        // The provider answers two seconds after it took the send: the abandon arrives while the call is in flight.
        var provider = await ProviderSimulator.StartAsync(emailRate: 100, smsRate: 100, latency: TimeSpan.FromSeconds(2));
        _disposables.Add(provider);
        var entity = Start(_ana, Services(provider: provider.Endpoint));
        var asker = CreateTestProbe();

        entity.Tell(new Deliver(_ana, Request("m1"), 0), asker.Ref);
        await Messaging.Testing.AwaitCondition.UntilAsync(() => Task.FromResult(provider.AcceptedCount == 1), Deadline, "the provider took the send");
        entity.Tell(new AbandonDelivery(_ana, "m1"), asker.Ref);

        Assert.IsType<DeliveryOutcome.Sent>(await asker.ExpectMsgAsync<DeliveryOutcome>(Deadline));
        Assert.Equal(1, provider.AcceptedCount);
        Assert.Equal(["recipient.request-accepted.v1", "recipient.send-intended.v1", "recipient.sent.v1"],
            await QueryTextsAsync($"SELECT manifest FROM event_journal WHERE persistence_id = '{_ana}' ORDER BY sequence_nr"));
    }

    [Fact]
    public async Task A_hand_off_while_a_request_waits_for_its_permit_puts_it_and_those_behind_it_back_and_stops_at_once()
    {
        var provider = await ProviderSimulator.StartAsync(emailRate: 100, smsRate: 100, latency: TimeSpan.Zero);
        _disposables.Add(provider);
        var services = Services(provider: provider.Endpoint);
        // No permit for an hour: without the hand-off giving the wait up, the entity would not stop for an hour.
        services.Throttles.Email.PauseUntil(DateTimeOffset.UtcNow.AddHours(1));
        var entity = Start(_ana, services);
        var asker = CreateTestProbe();
        Watch(entity);

        entity.Tell(new Deliver(_ana, Request("m1"), 0), asker.Ref);
        entity.Tell(new Deliver(_ana, Request("m2"), 0), asker.Ref);
        entity.Tell(StopRecipient.Instance);

        // Both are answered at once, put back (not failed) to be decided at the recipient's new home; nothing was intended.
        Assert.Equal(0, (await asker.ExpectMsgAsync<DeliveryOutcome.RetryLater>(Deadline)).Attempts);
        Assert.Equal(0, (await asker.ExpectMsgAsync<DeliveryOutcome.RetryLater>(Deadline)).Attempts);
        await ExpectTerminatedAsync(entity, Deadline);
        Assert.Empty(await QueryTextsAsync($"SELECT manifest FROM event_journal WHERE persistence_id = '{_ana}' ORDER BY sequence_nr"));
        Assert.Empty(provider.CallTimes);
    }

    private async Task<List<string>> QueryTextsAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var values = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
