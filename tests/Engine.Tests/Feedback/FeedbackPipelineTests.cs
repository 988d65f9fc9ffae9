using Messaging.Engine.Aws;
using System.Text;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Messaging.Engine.Recipients.Entities;
using static Messaging.Testing.FeedbackSamples;

namespace Messaging.Engine.Tests.Feedback;

/// <summary>Feedback end to end: a real send to the SES peer, its events on the feedback queue, the engine's reaction.</summary>
public sealed class FeedbackPipelineTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static async Task<MessageRecord> StatusAsync(EngineUnderTest engine, string messageId, string status)
    {
        var journal = engine.Services.GetRequiredService<IJournal>();
        MessageRecord? record = null;
        await AwaitCondition.UntilAsync(async () => (record = await journal.FindMessageAsync(messageId, default))?.Status == status,
            Deadline, $"{messageId} becomes {status} (is {record?.Status})");
        return record!;
    }

    [Fact]
    public async Task A_bounce_for_a_sent_email_suppresses_the_address_and_the_next_request_to_it_is_rejected_as_suppressed()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var to = engine.Address("gone");
        await engine.EnqueueAsync([EngineUnderTest.EmailRequest("first", to)]);
        var sent = await StatusAsync(engine, "first", "sent");
        Assert.Single(await engine.SentEmailsAsync(peers));

        await engine.PublishFeedbackAsync(Sns(SesEvent("Bounce", Mail(to, sent.ProviderMessageId!, "first"), "bounce",
            Bounce("Permanent", "General", DateTimeOffset.UtcNow, to))));
        await StatusAsync(engine, "first", "bounced");
        await engine.EnqueueAsync([EngineUnderTest.EmailRequest("second", to)]);

        var second = await StatusAsync(engine, "second", "suppressed");
        Assert.Contains("suppressed (PermanentBounce", second.Reason);
        Assert.Single(await engine.SentEmailsAsync(peers));
        var state = await engine.AskRecipientAsync<RecipientSnapshot>(new QueryRecipient(RecipientKey.For(Contracts.Requests.Channel.Email, to)));
        Assert.Equal("first", state.State.Suppression!.SourceMessageId);
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(await engine.FeedbackQueueUrlAsync()) == 0, Deadline, "the feedback is deleted");
        Assert.Empty(await engine.TakeFeedbackDeadLettersAsync());
    }

    [Fact]
    public async Task Unreadable_and_uncorrelated_events_go_to_the_feedback_dead_letter_queue_with_the_reason_and_duplicates_count_once()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var to = engine.Address("ana");
        await engine.EnqueueAsync([EngineUnderTest.EmailRequest("known", to)]);
        var sent = await StatusAsync(engine, "known", "sent");
        // An identity notification carries no tags: only the provider's message id ties it to the request.
        var delivery = SesNotification("Delivery", Mail(to, sent.ProviderMessageId!, messageId: null), "delivery", Delivery(DateTimeOffset.UtcNow, to));
        var open = SesEvent("Open", Mail(to, sent.ProviderMessageId!, "known"), "open", Open(DateTimeOffset.UtcNow));

        await engine.PublishFeedbackAsync(
            "{not json",
            Sns(SesEvent("Bounce", Mail(to, "ses-unknown", "no-such-message"), "bounce", Bounce("Permanent", "General", DateTimeOffset.UtcNow, to))),
            delivery, Sns(delivery), Sns(delivery), open, Sns(open));

        await StatusAsync(engine, "known", "delivered");
        List<SqsMessageView> dead = [];
        await AwaitCondition.UntilAsync(async () =>
        {
            dead.AddRange((await engine.TakeFeedbackDeadLettersAsync()).Select(m => new SqsMessageView(m.Body, m.StringAttribute(DeadLetterWriter.ErrorAttribute)!)));
            return dead.Count >= 2;
        }, Deadline, "two events reach the feedback DLQ");
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(await engine.FeedbackQueueUrlAsync()) == 0, Deadline, "the feedback queue is empty");

        Assert.Equal(
        [
            "uncorrelated feedback: message 'no-such-message' (from the event's messageId tag, context or X-Correlation-ID header) is not known to this engine",
            "unreadable feedback: not JSON: 'n' is an invalid start of a property name. Expected a '\"'. LineNumber: 0 | BytePositionInLine: 1.",
        ], dead.Select(d => d.Error).Order());
        var journal = engine.Services.GetRequiredService<IJournal>();
        var types = (await journal.ReadEntityEventsAsync(RecipientKey.For(Contracts.Requests.Channel.Email, to).ToString(), 0, default)).Select(e => e.Type).ToList();
        Assert.Equal(1, types.Count(t => t == "recipient.delivered.v1"));
        Assert.Equal(1, types.Count(t => t == "recipient.opened.v1"));
    }

    [Fact]
    public async Task Status_changes_are_published_to_the_status_queue_and_opens_and_clicks_are_counted_per_message()
    {
        var prefix = $"t{Guid.NewGuid():N}"[..13];
        await using var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?> { ["Engine:Ingest:StatusQueue"] = $"{prefix}-status" }, prefix: prefix);
        var to = engine.Address("reader");
        await engine.EnqueueAsync([EngineUnderTest.EmailRequest("watched", to)]);
        var sent = await StatusAsync(engine, "watched", "sent");
        var mail = Mail(to, sent.ProviderMessageId!, "watched");

        await engine.PublishFeedbackAsync(
            SesEvent("Delivery", mail, "delivery", Delivery(DateTimeOffset.UtcNow, to)),
            SesEvent("Open", mail, "open", Open(DateTimeOffset.UtcNow)),
            SesEvent("Open", mail, "open", Open(DateTimeOffset.UtcNow.AddSeconds(5))),
            SesEvent("Click", mail, "click", Click(DateTimeOffset.UtcNow.AddSeconds(6), "https://shop.example.com/p/1")));

        var journal = engine.Services.GetRequiredService<IJournal>();
        MessageRecord? record = null;
        await AwaitCondition.UntilAsync(async () => (record = await journal.FindMessageAsync("watched", default)) is { Opens: 2, Clicks: 1 },
            Deadline, $"two opens and a click are counted (have {record})");
        Assert.Equal("delivered", record!.Status);
        var byRecipient = Assert.Single(await journal.FindMessagesByRecipientAsync(RecipientKey.For(Contracts.Requests.Channel.Email, to).ToString(), DateTimeOffset.MinValue, DateTimeOffset.MaxValue, 10, default));
        Assert.Equal((2, 1), (byRecipient.Opens, byRecipient.Clicks));

        var statusUrl = (await engine.Sqs.GetQueueUrlAsync($"{prefix}-status")).QueueUrl;
        var changes = new List<Contracts.Status.MessageStatusChanged>();
        await AwaitCondition.UntilAsync(async () =>
        {
            changes.AddRange((await engine.TakeAllAsync(statusUrl)).Select(m =>
                System.Text.Json.JsonSerializer.Deserialize(m.Body, Contracts.Serialization.ContractsJsonContext.Default.MessageStatusChanged)!));
            return changes.Count >= 3;
        }, Deadline, "three status changes are published");
        Assert.Equal(["accepted", "sent", "delivered"], changes.OrderBy(c => c.OccurredAt).Select(c => Engine.ContractNames.Of(c.Status)));
        Assert.All(changes, c => Assert.Equal(("watched", to), (c.MessageId, c.To)));
        Assert.Equal(Contracts.Status.MessageStatus.Sent, changes.Single(c => c.Status == Contracts.Status.MessageStatus.Delivered).PreviousStatus);
        Assert.Equal(0, await engine.Services.GetRequiredService<Messaging.Engine.Feedback.StatusOutbox>().CountAsync(default));
    }

    private sealed record SqsMessageView(string Body, string Error);
}
