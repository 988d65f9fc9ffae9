using Messaging.Contracts.Requests;
using Messaging.Engine.Actors;
using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Events;
using Messaging.Engine.Tests.Actors;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Messaging.Engine.Sending;
using Messaging.Engine.Throttling;

namespace Messaging.Engine.Tests.Recipients;

/// <summary>Recipient actors on a real SQLite journal on disk.</summary>
public sealed class RecipientActorTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-recipients-{Guid.NewGuid():N}");
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly RecipientKey _ana = RecipientKey.For(Channel.Email, "ana@example.com");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>One engine process: its own journal connection and actor host over the shared database file.</summary>
    private async Task<(EntityRegistry<RecipientKey, RecipientCommand> Registry, SqlJournal Journal, ActorTestKit Kit)> StartNodeAsync(
        int snapshotEvery = 100, SendingOptions? sending = null, FeedbackProgress? feedback = null)
    {
        var options = new JournalOptions { SnapshotEvery = snapshotEvery };
        var kit = new ActorTestKit();
        var journal = await SqlJournal.OpenAsync(
            new SqliteDialect(Path.Combine(_directory, "engine.db"), "FULL"), options, kit.Time, NullLogger.Instance, default);
        _disposables.Add(journal);
        _disposables.Add(kit);
        var recipients = new RecipientJournal(journal, new RecipientEventSerializer(), Options.Create(options));
        // These tests never send: the provider clients point nowhere.
        var aws = AwsTestServices.Create(ses: new Uri("http://127.0.0.1:9"), sms: new Uri("http://127.0.0.1:9"));
        _disposables.Add(aws);
        var services = new RecipientServices(recipients, aws.GetRequiredService<MessageRenderer>(), aws.GetRequiredService<ProviderSender>(),
            aws.GetRequiredService<SendThrottles>(), Options.Create(sending ?? new SendingOptions()), kit.Time,
            aws.GetRequiredService<Messaging.Engine.Reputation.ReputationGuard>(), aws.GetRequiredService<Messaging.Engine.Reputation.ReputationCounter>(),
            feedback ?? new FeedbackProgress());
        var registry = kit.Host.CreateRegistry<RecipientKey, RecipientCommand>(
            "recipient", key => new RecipientActor(key, services));
        return (registry, journal, kit);
    }

    private static Task<RecipientSnapshot> StateOf(EntityRegistry<RecipientKey, RecipientCommand> registry, RecipientKey key) =>
        registry.AskAsync<RecipientSnapshot>(key, r => new GetRecipientState(r), Deadline, default);

    private static Task<SuppressionChange> Suppress(EntityRegistry<RecipientKey, RecipientCommand> registry, RecipientKey key, string note = "asked") =>
        registry.AskAsync<SuppressionChange>(key, r => new SuppressRecipient("ops@example.com", note, r), Deadline, default);

    private static Task<SuppressionChange> Unsuppress(EntityRegistry<RecipientKey, RecipientCommand> registry, RecipientKey key) =>
        registry.AskAsync<SuppressionChange>(key, r => new UnsuppressRecipient("ops@example.com", "fixed", r), Deadline, default);

    [Fact]
    public async Task A_suppression_survives_passivation_and_the_revived_actor_knows_it()
    {
        var (registry, _, kit) = await StartNodeAsync();

        Assert.Equal(SuppressionChange.Suppressed, await Suppress(registry, _ana, "customer asked by phone"));
        kit.Time.Advance(kit.Options.PassivateAfter + TimeSpan.FromSeconds(1));
        Assert.Equal(1, registry.PassivateIdle());
        await AwaitCondition.UntilAsync(() => Task.FromResult(registry.LiveCount == 0), Deadline, "the actor leaves memory");

        var revived = await StateOf(registry, _ana);

        Assert.Equal(1, revived.SequenceNr);
        Assert.Equal(new Suppression(SuppressionReason.Operator, kit.Time.GetUtcNow() - kit.Options.PassivateAfter - TimeSpan.FromSeconds(1),
            null, "ops@example.com", "customer asked by phone"), revived.State.Suppression);
        Assert.Equal(SuppressionChange.AlreadySuppressed, await Suppress(registry, _ana));
    }

    [Fact]
    public async Task A_restarted_process_recovers_the_state_from_the_journal()
    {
        var (first, _, _) = await StartNodeAsync();
        await Suppress(first, _ana);
        await Unsuppress(first, _ana);
        await Suppress(first, _ana);

        var (second, _, _) = await StartNodeAsync();
        var recovered = await StateOf(second, _ana);

        Assert.Equal(3, recovered.SequenceNr);
        Assert.True(recovered.State.IsSuppressed);
    }

    [Fact]
    public async Task Every_N_events_a_snapshot_is_saved_and_the_journal_trimmed_and_recovery_uses_both()
    {
        var (registry, journal, _) = await StartNodeAsync(snapshotEvery: 3);
        for (var i = 0; i < 4; i++)
        {
            await Suppress(registry, _ana);
            await Unsuppress(registry, _ana);
        }

        var snapshot = await journal.LoadSnapshotAsync(_ana.ToString(), default);
        Assert.NotNull(snapshot);
        Assert.Equal(6, snapshot.SequenceNr);
        Assert.Equal([6L, 7L, 8L], (await journal.ReadEventsAsync(_ana.ToString(), 1, default)).Select(e => e.SequenceNr));

        var (restarted, _, _) = await StartNodeAsync(snapshotEvery: 3);
        var recovered = await StateOf(restarted, _ana);
        Assert.Equal(8, recovered.SequenceNr);
        Assert.False(recovered.State.IsSuppressed);
    }

    [Fact]
    public async Task When_another_node_wrote_first_the_actor_reloads_and_decides_again_instead_of_writing_twice()
    {
        var (nodeA, journal, _) = await StartNodeAsync();
        var (nodeB, _, _) = await StartNodeAsync();
        // Node B's actor is live with the empty state it loaded...
        Assert.False((await StateOf(nodeB, _ana)).State.IsSuppressed);
        // ...when node A suppresses the recipient.
        Assert.Equal(SuppressionChange.Suppressed, await Suppress(nodeA, _ana, "from node A"));

        var onB = await Suppress(nodeB, _ana, "from node B");

        Assert.Equal(SuppressionChange.AlreadySuppressed, onB);
        Assert.Equal(1, await journal.ReadHighestSequenceNrAsync(_ana.ToString(), default));
        Assert.Equal("from node A", (await StateOf(nodeB, _ana)).State.Suppression!.Note);
    }

    [Fact]
    public async Task A_request_that_finds_another_nodes_send_in_flight_waits_for_it_and_calls_it_unknown_only_after_the_grace()
    {
        var (nodeB, journal, kit) = await StartNodeAsync();
        // Node A accepted m1 and wrote its send intent just now: its call to the provider is still running when SQS
        // shows the same request to node B.
        var recipients = new RecipientJournal(journal, new RecipientEventSerializer(), Options.Create(new JournalOptions()));
        var now = kit.Time.GetUtcNow();
        await recipients.AppendAsync(_ana, 0, RecipientState.Empty,
            [new RequestAccepted("m1", Category.Transactional, now), new SendIntended("m1", now)], default);
        var request = new MessageRequest { MessageId = "m1", Channel = Channel.Email, To = "ana@example.com", Content = new MessageContent { Subject = "Hi", Text = "Hello" } };
        var grace = new SendingOptions().InFlightGrace;

        var early = await nodeB.AskAsync<DeliveryOutcome>(_ana, r => new DeliverRequest(request, 0, r), Deadline, default);

        // Neither unknown nor sent again while A's send may still succeed: put back until after it.
        Assert.Equal(grace, Assert.IsType<DeliveryOutcome.RetryLater>(early).Delay);
        Assert.True((await StateOf(nodeB, _ana)).State.Find("m1")!.SendPending);

        kit.Time.Advance(grace);
        var late = await nodeB.AskAsync<DeliveryOutcome>(_ana, r => new DeliverRequest(request, 0, r), Deadline, default);

        // Nothing came of it in time: A is gone, and the send may or may not have happened.
        Assert.IsType<DeliveryOutcome.Unconfirmed>(late);
    }

    [Fact]
    public async Task An_unknown_send_is_held_for_its_send_event_and_one_the_provider_showed_it_took_is_never_resent()
    {
        var after = TimeSpan.FromMinutes(10);
        var (node, journal, kit) = await StartNodeAsync(sending: new SendingOptions { ReconcileUnknownAfter = after });
        var recipients = new RecipientJournal(journal, new RecipientEventSerializer(), Options.Create(new JournalOptions()));
        var now = kit.Time.GetUtcNow();
        // m1 froze mid-call; m2 too, but the provider has since reported a delivery delay for it: it did take m2.
        await recipients.AppendAsync(_ana, 0, RecipientState.Empty,
        [
            new RequestAccepted("m1", Category.Transactional, now), new SendIntended("m1", now), new SendUnconfirmed("m1", "timed out", now),
            new RequestAccepted("m2", Category.Transactional, now), new SendIntended("m2", now), new SendUnconfirmed("m2", "timed out", now),
            new DeliveryDelayed("m2", now, "MailboxFull", "fb-1"),
        ], default);
        MessageRequest Request(string id) => new() { MessageId = id, Channel = Channel.Email, To = "ana@example.com", Content = new MessageContent { Subject = "Hi", Text = "Hello" } };

        var early = await node.AskAsync<DeliveryOutcome>(_ana, r => new DeliverRequest(Request("m1"), 0, r), Deadline, default);
        Assert.Equal(now + after, Assert.IsType<DeliveryOutcome.Reconciling>(early).Due);

        kit.Time.Advance(after);
        var taken = await node.AskAsync<DeliveryOutcome>(_ana, r => new DeliverRequest(Request("m2"), 0, r), Deadline, default);
        Assert.IsType<DeliveryOutcome.Duplicate>(taken);
        Assert.False((await StateOf(node, _ana)).State.Find("m2")!.ResentAfterUnknown);
    }

    [Fact]
    public async Task An_unknown_send_is_resent_only_once_the_feedback_queue_was_seen_drained_after_its_deadline()
    {
        var after = TimeSpan.FromMinutes(10);
        var feedback = new FeedbackProgress();
        var (node, journal, kit) = await StartNodeAsync(sending: new SendingOptions { ReconcileUnknownAfter = after }, feedback: feedback);
        var recipients = new RecipientJournal(journal, new RecipientEventSerializer(), Options.Create(new JournalOptions()));
        var unknownAt = kit.Time.GetUtcNow();
        await recipients.AppendAsync(_ana, 0, RecipientState.Empty,
            [new RequestAccepted("m1", Category.Transactional, unknownAt), new SendIntended("m1", unknownAt), new SendUnconfirmed("m1", "timed out", unknownAt)],
            default);
        var request = new MessageRequest { MessageId = "m1", Channel = Channel.Email, To = "ana@example.com", Content = new MessageContent { Subject = "Hi", Text = "Hello" } };
        Task<DeliveryOutcome> Deliver() => node.AskAsync<DeliveryOutcome>(_ana, r => new DeliverRequest(request, 0, r), Deadline, default);

        // The deadline passed, but the feedback queue was never read (stopped, or slow): a Send event may still come.
        kit.Time.Advance(after + TimeSpan.FromMinutes(5));
        Assert.IsType<DeliveryOutcome.Reconciling>(await Deliver());
        // Read, but only up to a moment before the deadline: still not proof.
        feedback.Drained(unknownAt + after - TimeSpan.FromSeconds(1));
        var waiting = Assert.IsType<DeliveryOutcome.Reconciling>(await Deliver());
        Assert.True(waiting.Due > kit.Time.GetUtcNow());
        Assert.False((await StateOf(node, _ana)).State.Find("m1")!.ResentAfterUnknown);

        // Drained after the deadline: no Send event is coming, so it is sent once more.
        feedback.Drained(kit.Time.GetUtcNow());
        await Deliver();
        Assert.True((await StateOf(node, _ana)).State.Find("m1")!.ResentAfterUnknown);
    }
}
