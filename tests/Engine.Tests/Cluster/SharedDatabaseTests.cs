using Messaging.Contracts.Requests;
using Messaging.Engine.Actors;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
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
    public async Task A_suppression_written_through_one_node_is_honoured_by_another_whose_actor_was_already_live()
    {
        var database = await server.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Engine:Persistence:Provider"] = "Postgres",
            ["Engine:Persistence:PostgresConnectionString"] = database,
            ["Engine:Cluster:HeartbeatInterval"] = "00:00:00.200",
            ["Engine:Cluster:NodeTimeout"] = "00:00:02",
        };
        await using var first = await EngineUnderTest.StartAsync(peers, settings);
        // Node B takes nothing from the queue: its recipient actor is driven directly, as a request would drive it.
        await using var second = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>(settings) { ["Engine:Ingest:Enabled"] = "false" });
        var to = first.Address("ana");
        var key = RecipientKey.For(Channel.Email, to);
        var onSecond = second.Services.GetRequiredService<EntityRegistry<RecipientKey, RecipientCommand>>();

        // B's actor for ana is live, with ana not suppressed in its memory.
        var before = await onSecond.AskAsync<RecipientSnapshot>(key, r => new GetRecipientState(r), Deadline, default);
        Assert.False(before.State.IsSuppressed);

        await first.Services.GetRequiredService<EntityRegistry<RecipientKey, RecipientCommand>>()
            .AskAsync<SuppressionChange>(key, r => new SuppressRecipient("ops@example.com", "asked by phone", r), Deadline, default);
        var request = new MessageRequest { MessageId = "after-suppression", Channel = Channel.Email, To = to, Content = new MessageContent { Subject = "Hi", Text = "Hello" } };
        var outcome = await onSecond.AskAsync<DeliveryOutcome>(key, r => new DeliverRequest(request, 0, r), Deadline, default);

        // Its first write conflicted with A's suppression, it reloaded, and it refused.
        var rejected = Assert.IsType<DeliveryOutcome.Rejected>(outcome);
        Assert.True(rejected.Suppressed);
        Assert.Empty(await first.SentEmailsAsync(peers));
        Assert.Equal("suppressed", (await second.Services.GetRequiredService<IJournal>().FindMessageAsync("after-suppression", default))!.Status);
    }
}
