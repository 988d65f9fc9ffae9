using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Messaging.Engine.Cluster;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Postgres;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;
using Messaging.Engine.Tests.Persistence;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Cluster;

/// <summary>
/// A rate smaller than the number of nodes (2 emails a second over 3 nodes) cannot be split: the nodes take shared send
/// slots from the database instead, on each store.
/// </summary>
public abstract class ClusterSendSlotsTests : IAsyncLifetime
{
    private const double AccountRate = 2;
    private readonly List<IAsyncDisposable> _disposables = [];

    protected abstract Task CreateStorageAsync();

    private protected abstract SqlDialect NewDialect();

    private protected abstract SqlDialect UnreachableDialect();

    public Task InitializeAsync() => CreateStorageAsync();

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    private async Task<ClusterSendSlots> SlotsAsync()
    {
        var journal = await SqlJournal.OpenAsync(NewDialect(), TimeProvider.System, NullLogger.Instance, default);
        _disposables.Add(journal);
        return new ClusterSendSlots(() => journal, TimeProvider.System);
    }

    /// <summary>One node's HTTP pipeline: its throttles (its share of 3 nodes) and the rate handler before the wire.</summary>
    private HttpClient Node(ClusterSendSlots slots, HttpMessageHandler wire)
    {
        var throttles = new SendThrottles(Options.Create(new ThrottlingOptions { EmailMaxSendRate = AccountRate }), TimeProvider.System);
        throttles.SetNodes(3);
        _disposables.Add(throttles);
        return new HttpClient(new ProviderRateHandler(throttles, slots, TimeProvider.System, NullLogger<ProviderRateHandler>.Instance) { InnerHandler = wire });
    }

    private static HttpRequestMessage SendEmail() =>
        new(HttpMethod.Post, "http://ses.test/v2/email/outbound-emails") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };

    [Fact]
    public async Task Each_slot_is_a_whole_interval_after_the_last_on_the_databases_clock()
    {
        var slots = await SlotsAsync();
        var interval = ClusterSendSlots.IntervalFor(AccountRate);

        var between = Stopwatch.StartNew();
        var first = await slots.TakeAsync("email", AccountRate, default);
        var second = await slots.TakeAsync("email", AccountRate, default);
        var elapsed = between.Elapsed;
        var other = await slots.TakeAsync("sms", AccountRate, default);

        Assert.Equal(TimeSpan.Zero, first);
        // The second slot is one interval after the first, less the time that passed between the two takes (at most
        // all of the time the two took).
        Assert.InRange(second, interval - elapsed - TimeSpan.FromMilliseconds(2), interval);
        Assert.Equal(TimeSpan.Zero, other);
    }

    [Fact]
    public async Task Three_nodes_sharing_two_sends_a_second_never_put_three_in_one_second()
    {
        var arrivals = new ConcurrentQueue<long>();
        var wire = () => new Answering(arrivals);
        // Each node alone would allow one call in every second: three a second together, over the account's two.
        var nodes = new[] { Node(await SlotsAsync(), wire()), Node(await SlotsAsync(), wire()), Node(await SlotsAsync(), wire()) };

        var sends = nodes.SelectMany(node => Enumerable.Range(0, 4).Select(_ => node.SendAsync(SendEmail()))).ToList();
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(sends, send => Assert.True(send.Result.IsSuccessStatusCode));
        var times = arrivals.Order().ToList();
        Assert.Equal(12, times.Count);
        // Any three consecutive arrivals span at least a second: no 1-second window holds more than two.
        var tightest = Enumerable.Range(0, times.Count - 2).Min(i => Stopwatch.GetElapsedTime(times[i], times[i + 2]));
        Assert.True(tightest >= TimeSpan.FromSeconds(1), $"three sends within {tightest.TotalMilliseconds:0} ms: {string.Join(", ", times.Select(t => Stopwatch.GetElapsedTime(times[0], t).TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public async Task A_send_that_cannot_reach_the_database_for_a_slot_fails_as_never_sent()
    {
        var arrivals = new ConcurrentQueue<long>();
        var unreachable = new SqlJournal(UnreachableDialect(), TimeProvider.System, NullLogger.Instance);
        _disposables.Add(unreachable);
        using var node = Node(new ClusterSendSlots(() => unreachable, TimeProvider.System), new Answering(arrivals));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => node.SendAsync(SendEmail()));

        // A connection error is what the AWS transport reads as "never left": the send is retried, not recorded unknown.
        Assert.Equal(HttpRequestError.ConnectionError, refused.HttpRequestError);
        Assert.IsType<JournalStorageException>(refused.InnerException);
        Assert.Empty(arrivals);
    }

    [Fact]
    public async Task A_node_too_slow_to_use_its_slots_does_not_send_late_but_fails_as_never_sent()
    {
        var arrivals = new ConcurrentQueue<long>();
        var journal = await SqlJournal.OpenAsync(NewDialect(), TimeProvider.System, NullLogger.Instance, default);
        _disposables.Add(journal);
        using var node = Node(new ClusterSendSlots(() => journal, new StallingClock()), new Answering(arrivals));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => node.SendAsync(SendEmail()));

        Assert.Equal(HttpRequestError.ConnectionError, refused.HttpRequestError);
        Assert.Contains("missed", refused.Message, StringComparison.Ordinal);
        Assert.Empty(arrivals);
    }

    /// <summary>A clock on a machine so stalled that a second passes between any two readings.</summary>
    private sealed class StallingClock : TimeProvider
    {
        private long _readings;

        public override long GetTimestamp() => base.GetTimestamp() + (Interlocked.Increment(ref _readings) * TimestampFrequency);
    }

    private sealed class Answering(ConcurrentQueue<long> arrivals) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            arrivals.Enqueue(Stopwatch.GetTimestamp());
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }
}

public sealed class SqliteClusterSendSlotsTests : ClusterSendSlotsTests, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-slots-{Guid.NewGuid():N}");

    protected override Task CreateStorageAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    private protected override SqlDialect NewDialect() => new SqliteDialect(Path.Combine(_directory, "engine.db"), "NORMAL");

    // A directory where the database file should be: it cannot be opened.
    private protected override SqlDialect UnreachableDialect() => new SqliteDialect(_directory, "NORMAL");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterSendSlotsTests(PostgresServer server) : ClusterSendSlotsTests
{
    private string _connectionString = "";

    protected override async Task CreateStorageAsync() => _connectionString = await server.CreateDatabaseAsync();

    private protected override SqlDialect NewDialect() => new PostgresDialect(_connectionString);

    // Nothing listens on port 1 of loopback: the connection is refused.
    private protected override SqlDialect UnreachableDialect() =>
        new PostgresDialect("Host=127.0.0.1;Port=1;Database=messaging;Username=messaging;Timeout=2");
}
