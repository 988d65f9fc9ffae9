using Akka.Actor;
using Akka.Hosting;
using Messaging.Contracts.Requests;
using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Reputation;
using Messaging.Engine.Sending;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Recipients;

/// <summary>The host's shard region: a lone node forms a cluster by itself, and a recipient asked through the region wakes from the journal.</summary>
public sealed class RecipientRegionTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _contentRoot =
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"messaging-region-{Guid.NewGuid():N}")).FullName;
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly RecipientKey _ana = RecipientKey.For(Channel.Email, "Ana@Example.com");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_contentRoot, recursive: true);
    }

    private Task<IHost> StartNodeAsync() => LoneRecipientNode.StartAsync(_contentRoot, _disposables);

    private static IActorRef Region(IHost host) => host.Services.GetRequiredService<IRequiredActor<RecipientEntity>>().ActorRef;

    private long CountEvents(string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_contentRoot, "data", "engine.db")};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM event_journal WHERE persistence_id = @pid AND deleted = 0";
        command.Parameters.AddWithValue("@pid", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task A_recipient_asked_through_the_region_of_a_restarted_lone_node_wakes_from_the_journal()
    {
        var first = await StartNodeAsync();
        var system = first.Services.GetRequiredService<ActorSystem>();
        var cluster = Akka.Cluster.Cluster.Get(system);
        Assert.Equal($"SQLite at {Path.Combine(_contentRoot, "data", "engine.db")}",
            Messaging.Engine.Persistence.AkkaPlugin.EventStores.Get(system).ForDefaultJournal(system).Description);
        Assert.Equal(SuppressionChange.Suppressed,
            await Region(first).Ask<SuppressionChange>(new SuppressByOperator(_ana, "ops@example.com", "by phone"), Deadline));
        Assert.Equal(Akka.Cluster.MemberStatus.Up, cluster.SelfMember.Status);
        // Passivation from config/akka.hocon, not a default of the hosting code.
        Assert.Equal(TimeSpan.FromSeconds(120), Akka.Cluster.Sharding.ClusterShardingSettings.Create(system).PassivateIdleEntityAfter);
        Assert.Equal(new(10_000, 0.9), Messaging.Engine.Recipients.Passivation.ActiveRecipients.Get(system).Settings);
        await first.StopAsync();
        first.Dispose();

        Assert.Equal(1L, CountEvents(_ana.ToString()));
        var second = await StartNodeAsync();
        try
        {
            var woken = await Region(second).Ask<RecipientSnapshot>(new QueryRecipient(_ana), Deadline);

            Assert.Equal(1, woken.SequenceNr);
            Assert.Equal("by phone", woken.State.Suppression!.Note);
        }
        finally
        {
            await second.StopAsync();
            second.Dispose();
        }
    }
}
