using Akka.Actor;
using Messaging.Contracts.Requests;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Events;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>
/// A request whose receives were spent by crashes must not be left to SQS's redrive backstop: on the receive before the
/// last one its queue allows, the engine decides it (records <c>unknown</c> for an open intent, or dead-letters it with
/// its reason) instead of putting it back.
/// </summary>
public sealed class LastReceiveTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_request_with_a_young_open_intent_whose_receives_crashes_spent_is_recorded_unknown_not_moved_by_the_redrive_backstop()
    {
        var prefix = $"t{Guid.NewGuid():N}"[..13];
        var directory = Path.Combine(Path.GetTempPath(), $"messaging-engine-{prefix}");
        var settings = new Dictionary<string, string?>
        {
            // Longer than the test takes to reach the engine's receive: the intent is still young then.
            ["Engine:Sending:InFlightGrace"] = "00:00:20",
        };

        // A node wrote the intent and died mid-call; the crashes that followed spent receives of the request.
        await using var crashed = await EngineUnderTest.StartAsync(peers,
            new Dictionary<string, string?>(settings) { ["Engine:Ingest:Enabled"] = "false" }, directory: directory, prefix: prefix);
        var to = crashed.Address("ana");
        var key = RecipientKey.For(Channel.Email, to);
        var system = crashed.Services.GetRequiredService<ActorSystem>();
        var now = DateTimeOffset.UtcNow;
        var serializer = new RecipientEventSerializer();
        IRecipientEvent[] intended = [new RequestAccepted("crash-1", Category.Transactional, now), new SendIntended("crash-1", now)];
        // Written through the journal plugin's store, as the crashed node's entity wrote them.
        await EventStores.Get(system).ForDefaultJournal(system).WriteAsync(new EventsWrite(intended.Select((e, i) =>
        {
            var stored = serializer.Serialize(e);
            return new JournalRow(key.ToString(), i + 1, RecipientEventAkkaSerializer.Id, stored.Type, stored.Payload.ToArray(),
                now.ToUnixTimeMilliseconds(), "crashed-node", null);
        }).ToList()), default);
        await crashed.EnqueueAsync([EngineUnderTest.EmailRequest("crash-1", to)]);

        // engine init gives the queue maxReceiveCount = MaxAttempts + 2 = 5: four receives are spent, the engine gets the fifth.
        var spent = 0;
        await AwaitCondition.UntilAsync(async () =>
        {
            var batch = await crashed.Sqs.ReceiveMessageAsync(SqsMessageViews.ReceiveAll(crashed.RequestQueueUrl, 1, TimeSpan.FromSeconds(1), TimeSpan.Zero));
            spent += batch.Messages?.Count ?? 0;
            return spent >= 4;
        }, Deadline, "four receives of the request are spent");

        await crashed.StopAsync();
        await using var engine = await EngineUnderTest.StartAsync(peers, settings, directory: directory, prefix: prefix);
        var records = engine.Services.GetRequiredService<IJournal>();
        var deadLetters = new List<Message>();
        await AwaitCondition.UntilAsync(async () =>
        {
            deadLetters.AddRange(await engine.TakeDeadLettersAsync());
            return deadLetters.Count > 0 || (await records.FindMessageAsync("crash-1", default))?.Status == "unknown";
        }, Deadline, "crash-1 is recorded unknown or reaches the dead-letter queue");

        Assert.True(deadLetters.Count == 0,
            $"moved to the DLQ (error: {deadLetters.FirstOrDefault()?.StringAttribute(DeadLetterWriter.ErrorAttribute) ?? "none"})");
        var record = await records.FindMessageAsync("crash-1", default);
        Assert.Equal("unknown", record!.Status);
        Assert.Contains("allows no more receives", record.Reason);
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0, Deadline, "the request is deleted");
        Assert.Empty(await engine.SentEmailsAsync(peers));
    }
}
