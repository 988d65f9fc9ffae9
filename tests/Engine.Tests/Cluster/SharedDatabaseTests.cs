using Akka.Actor;
using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Tests.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Cluster;

/// <summary>Two engines on one PostgreSQL database and one request queue: what one records, the other honours.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SharedDatabaseTests(PostgresServer server, LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_suppression_written_through_one_node_is_honoured_by_another_whose_entity_was_already_live()
    {
        var database = await server.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Engine:Persistence:Provider"] = "Postgres",
            ["Engine:Persistence:PostgresConnectionString"] = database,
        };
        await using var first = await EngineUnderTest.StartAsync(peers, settings);
        // Node B takes nothing from the queue: its recipient entity is asked directly, as a request would ask it.
        await using var second = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>(settings) { ["Engine:Ingest:Enabled"] = "false" });
        var to = first.Address("ana");
        var key = RecipientKey.For(Channel.Email, to);
        var onSecond = second.Services.GetRequiredService<RecipientRegion>().ActorRef;

        // B's entity for ana is live, with ana not suppressed in its memory. (Each engine here is its own one-node
        // cluster on the shared database, so each may hold an entity for ana.)
        var before = await onSecond.Ask<RecipientSnapshot>(new QueryRecipient(key), Deadline);
        Assert.False(before.State.IsSuppressed);

        await first.Services.GetRequiredService<RecipientRegion>().ActorRef
            .Ask<SuppressionChange>(new SuppressByOperator(key, "ops@example.com", "asked by phone"), Deadline);
        var request = new MessageRequest { MessageId = "after-suppression", Channel = Channel.Email, To = to, Content = new MessageContent { Subject = "Hi", Text = "Hello" } };

        // Its first write takes the sequence number A's suppression holds: the persist fails, the entity stops, and the
        // asker gets the failure (the pipeline would retry the request). Asked again — put back while the stopping
        // entity drops what reaches it, as the pipeline would be — a new incarnation recovers A's events and refuses.
        await Assert.ThrowsAnyAsync<Exception>(() => onSecond.Ask<DeliveryOutcome>(new Deliver(key, request, 0), Deadline));
        DeliveryOutcome outcome = new DeliveryOutcome.RetryLater("not asked yet", TimeSpan.Zero, 0);
        await AwaitCondition.UntilAsync(async () =>
        {
            outcome = await onSecond.Ask<DeliveryOutcome>(new Deliver(key, request, 0), Deadline);
            return outcome is not DeliveryOutcome.RetryLater;
        }, Deadline, "the recipient's new incarnation decides the request");

        var rejected = Assert.IsType<DeliveryOutcome.Rejected>(outcome);
        Assert.True(rejected.Suppressed);
        Assert.Empty(await first.SentEmailsAsync(peers));
        Assert.Equal("suppressed", (await second.Services.GetRequiredService<IJournal>().FindMessageAsync("after-suppression", default))!.Status);
    }
}
