using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using static Messaging.Testing.FeedbackSamples;

namespace Messaging.Engine.Tests.Feedback;

/// <summary>
/// An event that names only the provider's message id, arriving before the engine recorded <c>Sent</c> with that id:
/// the real engine, SQS and SES peers; the grace is judged on a clock the test moves.
/// </summary>
public sealed class FeedbackBeforeSentTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_delivery_that_overtakes_its_Sent_waits_on_the_queue_and_is_recorded_once_Sent_is()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await HoldingProxy.StartAsync(peers.SesEndpoint);
        // The provider takes the email, but the engine does not hear its answer (so records no Sent) until released.
        proxy.HoldResponse = (path, _) => path.EndsWith("/outbound-emails", StringComparison.Ordinal);
        await using var engine = await StartAsync(clock, proxy.Endpoint);
        var to = engine.Address("early");
        await engine.EnqueueAsync([EngineUnderTest.EmailRequest("early", to)]);
        string? providerId = null;
        await AwaitCondition.UntilAsync(async () => proxy.Held == 1 && (providerId = await ProviderIdAsync(engine)) is not null,
            Deadline, "the provider stored the email while its answer is held");

        // An identity notification carries no tags: only the provider's message id, which only Sent records, ties it.
        await engine.PublishFeedbackAsync(Sns(SesNotification("Delivery", Mail(to, providerId!, messageId: null), "delivery", Delivery(DateTimeOffset.UtcNow, to))));
        var dead = await WaitingOrDeadLetteredAsync(engine);
        Assert.Empty(dead);
        var journal = engine.Services.GetRequiredService<IJournal>();
        Assert.Null((await journal.FindMessageAsync("early", default))!.ProviderMessageId);

        proxy.ReleaseAll();
        MessageRecord? record = null;
        await AwaitCondition.UntilAsync(async () => (record = await journal.FindMessageAsync("early", default))?.Status == "delivered",
            Deadline, $"the delivery is recorded once Sent is (status {record?.Status})");
        Assert.Equal(providerId, record!.ProviderMessageId);
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(await engine.FeedbackQueueUrlAsync()) == 0, Deadline, "the feedback is deleted");
        Assert.Empty(await engine.TakeFeedbackDeadLettersAsync());
    }

    [Fact]
    public async Task An_event_whose_Sent_never_comes_is_dead_lettered_after_the_grace_with_how_long_it_waited()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = await StartAsync(clock, peers.SesEndpoint);
        var to = engine.Address("never");
        await engine.PublishFeedbackAsync(Sns(SesNotification("Bounce", Mail(to, "ses-never-recorded", messageId: null), "bounce",
            Bounce("Permanent", "General", DateTimeOffset.UtcNow, to))));
        Assert.Empty(await WaitingOrDeadLetteredAsync(engine));

        clock.Advance(Grace + TimeSpan.FromMinutes(10));
        List<string> reasons = [];
        await AwaitCondition.UntilAsync(async () =>
        {
            reasons.AddRange((await engine.TakeFeedbackDeadLettersAsync()).Select(m => m.StringAttribute(DeadLetterWriter.ErrorAttribute)!));
            return reasons.Count > 0;
        }, Deadline, "the event reaches the feedback DLQ once the grace is over");

        var reason = Assert.Single(reasons);
        Assert.StartsWith(
            "uncorrelated feedback: the event has no messageId tag, context or X-Correlation-ID header, and provider message id 'ses-never-recorded' is not known to this engine; waited ",
            reason);
        Assert.EndsWith("for a send to record it, as long as Engine:Feedback:CorrelationGrace allows (60 s)", reason);
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(await engine.FeedbackQueueUrlAsync()) == 0, Deadline, "the feedback queue is empty");
    }

    /// <summary>An engine whose correlation grace (one minute) reads <paramref name="clock"/>; its SES calls go to <paramref name="sesEndpoint"/>.</summary>
    private Task<EngineUnderTest> StartAsync(ManualTimeProvider clock, Uri sesEndpoint) =>
        EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>
        {
            ["Engine:Aws:SesEndpoint"] = sesEndpoint.ToString(),
            // The held answer must not time out: a send without an answer is recorded unknown, never Sent.
            ["Engine:Aws:RequestTimeout"] = "00:02:00",
            ["Engine:Feedback:CorrelationGrace"] = "00:01:00",
        }, services: services => services.Replace(ServiceDescriptor.Singleton(provider =>
            new CorrelationGrace(provider.GetRequiredService<IOptions<FeedbackOptions>>(), clock))));

    private async Task<string?> ProviderIdAsync(EngineUnderTest engine) =>
        (await engine.SentEmailsAsync(peers)).Select(e => e.GetProperty("messageId").GetString()).FirstOrDefault();

    /// <summary>Waits until the engine has put the event back to wait for its Sent, or dead-lettered it; answers the dead letters' reasons.</summary>
    private static async Task<IReadOnlyList<string>> WaitingOrDeadLetteredAsync(EngineUnderTest engine)
    {
        var source = engine.Services.GetRequiredService<FeedbackSource>();
        List<string> dead = [];
        await AwaitCondition.UntilAsync(async () =>
        {
            dead.AddRange((await engine.TakeFeedbackDeadLettersAsync()).Select(m => m.StringAttribute(DeadLetterWriter.ErrorAttribute)!));
            return source.AwaitingSent > 0 || dead.Count > 0;
        }, Deadline, "the event is received and either waits for its Sent or is dead-lettered");
        return dead;
    }
}
