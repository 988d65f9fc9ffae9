using Messaging.Engine.Cluster;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Postgres;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Tests.Persistence;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Cluster;

/// <summary>Nodes on one PostgreSQL database find each other and share the account's send rates.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterMembershipTests(PostgresServer server) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly List<IAsyncDisposable> _disposables = [];
    private string _connectionString = "";

    private static readonly ClusterOptions Fast = new() { HeartbeatInterval = TimeSpan.FromMilliseconds(100), NodeTimeout = TimeSpan.FromSeconds(1) };

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    /// <summary>A node: its own journal (connection pool), throttles at an account rate of 60 emails/s, and membership.</summary>
    private async Task<(ClusterMembership Membership, SendThrottles Throttles)> NodeAsync(string name)
    {
        var journal = await SqlJournal.OpenAsync(new PostgresDialect(_connectionString), TimeProvider.System, NullLogger.Instance, default);
        var throttles = new SendThrottles(Options.Create(new ThrottlingOptions { EmailMaxSendRate = 60, SmsMaxSendRate = 12 }), TimeProvider.System);
        _disposables.Add(journal);
        _disposables.Add(throttles);
        var membership = new ClusterMembership(journal, throttles, Options.Create(new ClusterOptions
        {
            NodeId = name, HeartbeatInterval = Fast.HeartbeatInterval, NodeTimeout = Fast.NodeTimeout,
        }), TimeProvider.System, NullLogger<ClusterMembership>.Instance);
        return (membership, throttles);
    }

    [Fact]
    public async Task A_joining_node_halves_the_others_share_before_it_takes_its_own_and_a_leaving_one_gives_it_back()
    {
        var (first, firstThrottles) = await NodeAsync("node-a");
        var (second, secondThrottles) = await NodeAsync("node-b");
        await first.StartAsync(default);
        Assert.Equal((1, 60.0), (first.LiveNodes, firstThrottles.Email.Limit));

        await second.StartAsync(default);

        // By the time the second node may send, the first has lowered its share: the sum never exceeds 60.
        Assert.Equal(30, firstThrottles.Email.Limit);

        Assert.Equal((2, 30.0, 6.0), (second.LiveNodes, secondThrottles.Email.Limit, secondThrottles.Sms.Limit));
        await second.StopAsync(default);
        await AwaitCondition.UntilAsync(() => Task.FromResult(firstThrottles.Email.Limit == 60), Deadline, "the first node takes the whole rate again");
        await first.StopAsync(default);
    }

    [Fact]
    public async Task A_joining_node_waits_until_every_live_node_reports_the_lower_share_however_late_its_heartbeat()
    {
        // A live node whose heartbeat loop is late (a busy machine): alive, still dividing by 1.
        var slowOptions = new ClusterOptions { NodeId = "node-b", HeartbeatInterval = TimeSpan.FromMilliseconds(100), NodeTimeout = TimeSpan.FromSeconds(30) };
        var journal = await SqlJournal.OpenAsync(new PostgresDialect(_connectionString), TimeProvider.System, NullLogger.Instance, default);
        _disposables.Add(journal);
        await using (var setup = await journal.Dialect.OpenAsync(forWrite: true, default))
        {
            using var insert = setup.CreateCommand();
            insert.CommandText = $"INSERT INTO nodes (node_id, host, started_at, heartbeat_at, sharing_nodes) VALUES ('node-late', 'h', 0, {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}, 1)";
            await insert.ExecuteNonQueryAsync();
        }

        var throttles = new SendThrottles(Options.Create(new ThrottlingOptions { EmailMaxSendRate = 60 }), TimeProvider.System);
        _disposables.Add(throttles);
        var joining = new ClusterMembership(journal, throttles, Options.Create(slowOptions), TimeProvider.System, NullLogger<ClusterMembership>.Instance);
        var started = joining.StartAsync(default);

        // Far longer than a fixed wait of a few heartbeats: the joining node must not take requests yet.
        await Task.WhenAny(started, Task.Delay(TimeSpan.FromSeconds(1)));
        Assert.False(started.IsCompleted, "the node joined before the other took the lower share");
        Assert.Equal(30, throttles.Email.Limit);

        await using (var report = await journal.Dialect.OpenAsync(forWrite: true, default))
        {
            using var update = report.CreateCommand();
            update.CommandText = "UPDATE nodes SET sharing_nodes = 2 WHERE node_id = 'node-late'";
            await update.ExecuteNonQueryAsync();
        }

        await started.WaitAsync(Deadline);
        Assert.Equal(2, joining.LiveNodes);
        await joining.StopAsync(default);
    }

    [Fact]
    public async Task A_node_that_stops_heartbeating_drops_out_after_the_node_timeout()
    {
        var (first, firstThrottles) = await NodeAsync("node-a");
        var (dead, _) = await NodeAsync("node-killed");
        await first.StartAsync(default);
        // The "killed" node only ever wrote one heartbeat: as if the process died right after.
        await dead.HeartbeatAsync(default);
        await AwaitCondition.UntilAsync(() => Task.FromResult(first.LiveNodes == 2), Deadline, "the first node sees the second");
        var seen = DateTimeOffset.UtcNow;

        await AwaitCondition.UntilAsync(() => Task.FromResult(first.LiveNodes == 1 && firstThrottles.Email.Limit == 60), Deadline, "the silent node drops out");

        Assert.True(DateTimeOffset.UtcNow - seen >= Fast.NodeTimeout - Fast.HeartbeatInterval * 2, "it dropped out only after the timeout");
        await first.StopAsync(default);
    }
}
