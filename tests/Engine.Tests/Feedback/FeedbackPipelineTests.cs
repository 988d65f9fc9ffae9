using System.Text;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
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
        var state = await engine.Services.GetRequiredService<Messaging.Engine.Actors.EntityRegistry<RecipientKey, RecipientCommand>>().AskAsync<RecipientSnapshot>(
            RecipientKey.For(Contracts.Requests.Channel.Email, to), r => new GetRecipientState(r), Deadline, default);
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
        var types = (await journal.ReadEventsAsync(RecipientKey.For(Contracts.Requests.Channel.Email, to).ToString(), 0, default)).Select(e => e.Type).ToList();
        Assert.Equal(1, types.Count(t => t == "recipient.delivered.v1"));
        Assert.Equal(1, types.Count(t => t == "recipient.opened.v1"));
    }

    private sealed record SqsMessageView(string Body, string Error);
}
