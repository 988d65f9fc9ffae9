using Akka.Actor;
using Amazon.SQS.Model;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>
/// A request whose entity never answers in time (here: the node may not send, so the entity waits for the send rate
/// forever) is put back without counting attempts, but not forever: its fresh copies are counted, and the receive that
/// would make one copy too many dead-letters it with the reason. Each timeout also tells the entity to give the request
/// up, so nothing is sent once the node may send again.
/// </summary>
public sealed class UnansweredRequestTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_request_its_entity_never_answers_is_dead_lettered_with_the_reason_after_its_copies_and_never_sent()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>
        {
            // Queue redrive at MaxAttempts + 2 = 4 receives: the third receive of each copy is its last.
            ["Engine:Sending:MaxAttempts"] = "2",
            ["Engine:Sending:DeliveryTimeout"] = "00:00:02",
        });

        // Once one request went out the node is a cluster member and its rate share is released; only then hold it.
        await engine.EnqueueAsync([EngineUnderTest.EmailRequest("warm-1", engine.Address("warm"))]);
        await AwaitCondition.UntilAsync(async () => (await engine.SentEmailsAsync(peers)).Count == 1, Deadline, "warm-1 is sent");
        var throttles = engine.Services.GetRequiredService<SendThrottles>();
        throttles.Hold(true);

        var to = engine.Address("stuck");
        await engine.EnqueueAsync([EngineUnderTest.EmailRequest("stuck-1", to)]);
        var deadLetters = new List<Message>();
        await AwaitCondition.UntilAsync(async () =>
        {
            deadLetters.AddRange(await engine.TakeDeadLettersAsync());
            return deadLetters.Count > 0 && await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0;
        }, Deadline, "stuck-1 is moved to the dead-letter queue");

        var error = Assert.Single(deadLetters).StringAttribute(DeadLetterWriter.ErrorAttribute);
        Assert.StartsWith("its recipient's entity did not answer within 00:00:02 on any receive of 2 cop(ies) of the request; last: AskTimeoutException",
            error, StringComparison.Ordinal);

        // The node may send again: the entity must have let go of every receive of stuck-1. Its answer to a query comes
        // only after a send it would still make has finished.
        throttles.Hold(false);
        var region = engine.Services.GetRequiredService<RecipientRegion>().ActorRef;
        var snapshot = await region.Ask<RecipientSnapshot>(new QueryRecipient(RecipientKey.For(Channel.Email, to)), Deadline);
        var entry = snapshot.State.Find("stuck-1");
        Assert.True(entry is null or { SendPending: false, Status: not MessageStatus.Sent }, $"stuck-1 in its entity: {entry}");
        Assert.DoesNotContain(await engine.SentEmailsAsync(peers), e => e.GetProperty("destination").GetProperty("to")[0].GetString() == to);
        Assert.NotEqual("sent", (await engine.Services.GetRequiredService<IJournal>().FindMessageAsync("stuck-1", default))?.Status);
    }
}
