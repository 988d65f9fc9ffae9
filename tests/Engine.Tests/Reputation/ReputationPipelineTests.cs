using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Reputation;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Reputation;

/// <summary>A reputation pause seen end to end: marketing waits on its queue, transactional mail goes out.</summary>
public sealed class ReputationPipelineTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_synthetic_hour_with_six_percent_bounces_holds_marketing_until_resumed_while_transactional_is_sent()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>
        {
            ["Engine:Reputation:PausedRetryDelay"] = "00:00:01",
        });
        var guard = engine.Services.GetRequiredService<ReputationGuard>();
        var counter = engine.Services.GetRequiredService<ReputationCounter>();
        for (var i = 0; i < 1_000; i++)
        {
            counter.CountSent("bulk");
            if (i < 60)
            {
                counter.CountBounce("bulk");
            }
        }

        await guard.EvaluateAsync(default);
        var promo = $$$"""{"schema":"messaging.request.v1","messageId":"promo","channel":"email","to":"{{{engine.Address("fan")}}}","category":"marketing","content":{"subject":"Sale","text":"20% off"}}""";
        await engine.EnqueueAsync([promo, EngineUnderTest.EmailRequest("receipt", engine.Address("buyer"))]);

        var journal = engine.Services.GetRequiredService<IJournal>();
        await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync("receipt", default))?.Status == "sent", Deadline, "the receipt is sent");
        // The promo keeps being put back (a fresh copy each time, so the redrive policy never counts it out).
        var source = engine.Services.GetRequiredService<Messaging.Engine.Ingest.RequestIngest>();
        await AwaitCondition.UntilAsync(() => Task.FromResult(source.Received >= 8), Deadline, "the promo comes back, again and again, while paused");
        Assert.Null(await journal.FindMessageAsync("promo", default));
        Assert.Single(await engine.SentEmailsAsync(peers));

        await guard.ResumeAsync(Category.Marketing, "ops@example.com", "bad list removed", default);

        await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync("promo", default))?.Status == "sent", Deadline, "the promo is sent after the resume");
        Assert.Equal(2, (await engine.SentEmailsAsync(peers)).Count);
        Assert.Empty(await engine.TakeDeadLettersAsync());
    }
}
