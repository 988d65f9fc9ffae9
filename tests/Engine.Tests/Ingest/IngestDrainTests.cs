using Messaging.Engine.Ingest;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>Stopping the engine while its ingest graph holds requests received and not yet sent.</summary>
public sealed class IngestDrainTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Requests_received_but_not_begun_go_back_at_once_while_those_begun_still_finish()
    {
        // One send a second and eight in flight: the drain takes seconds, and the receiver's next batches wait behind.
        await using var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>
        {
            ["Engine:Throttling:EmailMaxSendRate"] = "1",
            ["Engine:Ingest:RequestQueues:0:Pollers"] = "1",
            ["Engine:Ingest:RequestQueues:0:MaxInFlight"] = "8",
            ["Engine:Ingest:VisibilityTimeout"] = "00:05:00",
        });
        var ingest = engine.Services.GetRequiredService<RequestIngest>();
        await engine.EnqueueAsync(Enumerable.Range(0, 40).Select(i => EngineUnderTest.EmailRequest($"wait-{i}", engine.Address($"user{i}"))));
        await AwaitCondition.UntilAsync(() => Task.FromResult(ingest.Received >= 20), Deadline, "two batches received while eight are worked on");

        var sentBefore = (await engine.SentEmailsAsync(peers)).Count;
        var stopping = engine.StopAsync();
        // Only the eight begun stay hidden; the others are visible again while those eight are still being sent (one a
        // second), not once the drain is over.
        await AwaitCondition.UntilAsync(async () => await NotVisibleAsync(engine) <= 8, Deadline, "the waiting requests are given back");
        var sentSince = (await engine.SentEmailsAsync(peers)).Count - sentBefore;
        Assert.True(sentSince < 8, $"the waiting requests were given back only after the eight begun were sent ({sentSince} sent since the stop)");
        await stopping;
        Assert.Equal(0, await NotVisibleAsync(engine));
    }

    private static async Task<int> NotVisibleAsync(EngineUnderTest engine) =>
        int.Parse((await engine.Sqs.GetQueueAttributesAsync(engine.RequestQueueUrl, ["ApproximateNumberOfMessagesNotVisible"])).Attributes["ApproximateNumberOfMessagesNotVisible"],
            System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_drain_leaves_nothing_hidden_on_the_queue_and_sends_nothing_twice()
    {
        // Two sends a second, two in flight, one receiver: the receiver's next batches wait in the graph, received.
        var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>
        {
            ["Engine:Throttling:EmailMaxSendRate"] = "2",
            ["Engine:Ingest:RequestQueues:0:Pollers"] = "1",
            ["Engine:Ingest:RequestQueues:0:MaxInFlight"] = "2",
            // Long enough that a request left hidden would still be hidden when the drain is over.
            ["Engine:Ingest:VisibilityTimeout"] = "00:05:00",
        });
        var ingest = engine.Services.GetRequiredService<RequestIngest>();
        var sqs = engine.Sqs;
        var queue = engine.RequestQueueUrl;
        try
        {
            await engine.EnqueueAsync(Enumerable.Range(0, 40).Select(i => EngineUnderTest.EmailRequest($"drain-{i}", engine.Address($"user{i}"))));
            await AwaitCondition.UntilAsync(() => Task.FromResult(ingest.Received >= 20), Deadline, "two batches received while two are sent at a time");

            await engine.StopAsync();

            // Everything not sent is visible again at once: nothing waits out its five-minute visibility.
            var attributes = (await sqs.GetQueueAttributesAsync(queue, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
            var sent = (await engine.SentEmailsAsync(peers)).Select(e => e.GetProperty("destination").GetProperty("to")[0].GetString()).ToList();
            Assert.Equal("0", attributes["ApproximateNumberOfMessagesNotVisible"]);
            Assert.Equal(40 - sent.Count, int.Parse(attributes["ApproximateNumberOfMessages"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(sent.Count < 40, "the drain began before everything was sent");
            Assert.Equal(sent.Count, sent.Distinct().Count());
        }
        finally
        {
            await engine.DisposeAsync();
        }
    }
}
