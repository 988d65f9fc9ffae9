using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Recipients.Passivation;
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

/// <summary>
/// The per-node least-recently-used limit on live recipient entities, on the host's real shard region: beyond the limit
/// the least recently used are passivated through sharding (the recently used stay), a passivated entity wakes from its
/// journal, and one with a send in flight stops only once the send's outcome is persisted. The idle timeout is set to an
/// hour, so every passivation seen here is the limit's; recency is the registry's own use clock, not the time of day.
/// </summary>
public sealed class RecipientPassivationTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _contentRoot =
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"messaging-passivation-{Guid.NewGuid():N}")).FullName;
    private readonly List<IAsyncDisposable> _disposables = [];
    private IHost? _host;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }

        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_contentRoot, recursive: true);
    }

    private static RecipientKey Recipient(int n) => RecipientKey.For(Channel.Email, $"r{n}@example.com");

    /// <summary>A lone node with at most <paramref name="limit"/> live recipients, each sweep passivating down to the limit.</summary>
    private async Task<IActorRef> StartNodeAsync(int limit, Uri? provider = null)
    {
        _host = await LoneRecipientNode.StartAsync(_contentRoot, _disposables, new Dictionary<string, string?>
        {
            ["akka:cluster:sharding:recipient-passivation:active-entity-limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["akka:cluster:sharding:recipient-passivation:passivate-down-to"] = "1",
            ["akka:cluster:sharding:passivate-idle-entity-after"] = "1h",
        }, provider);
        return _host.Services.GetRequiredService<IRequiredActor<RecipientEntity>>().ActorRef;
    }

    private ActiveRecipients Registry => ActiveRecipients.Get(_host!.Services.GetRequiredService<ActorSystem>());

    private static async Task<SortedSet<string>> LiveEntitiesAsync(IActorRef region)
    {
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, Deadline);
        return new SortedSet<string>(state.Shards.SelectMany(s => s.EntityIds), StringComparer.Ordinal);
    }

    private static Task AwaitLiveEntitiesAsync(IActorRef region, params RecipientKey[] expected)
    {
        var wanted = new SortedSet<string>(expected.Select(k => k.ToString()), StringComparer.Ordinal);
        return AwaitCondition.UntilAsync(
            async () => (await LiveEntitiesAsync(region)).SetEquals(wanted), Deadline, $"the live entities are exactly {string.Join(", ", wanted)}");
    }

    private static Task<SuppressionChange> Suppress(IActorRef region, RecipientKey key) =>
        region.Ask<SuppressionChange>(new SuppressByOperator(key, "ops@example.com", $"asked by {key.Address}"), Deadline);

    private static Task<RecipientSnapshot> Query(IActorRef region, RecipientKey key) =>
        region.Ask<RecipientSnapshot>(new QueryRecipient(key), Deadline);

    private List<string> Manifests(RecipientKey key)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_contentRoot, "data", "engine.db")};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT manifest FROM event_journal WHERE persistence_id = @pid ORDER BY sequence_nr";
        command.Parameters.AddWithValue("@pid", key.ToString());
        var manifests = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            manifests.Add(reader.GetString(0));
        }

        return manifests;
    }

    [Fact]
    public async Task Waking_more_recipients_than_the_limit_passivates_the_least_recently_used_and_keeps_the_recently_used()
    {
        var region = await StartNodeAsync(limit: 3);
        for (var n = 1; n <= 3; n++)
        {
            await Suppress(region, Recipient(n));
        }

        // r1 used again: r2 and r3 are now the least recently used.
        await Query(region, Recipient(1));
        await Suppress(region, Recipient(4));
        await Suppress(region, Recipient(5));

        await AwaitLiveEntitiesAsync(region, Recipient(1), Recipient(4), Recipient(5));
        Assert.Equal(2, Registry.PassivationsAsked);
        Assert.Equal(3, Registry.Live);
    }

    [Fact]
    public async Task A_passivated_recipient_wakes_from_its_journal_with_its_state_on_its_next_message()
    {
        var region = await StartNodeAsync(limit: 1);
        Assert.Equal(SuppressionChange.Suppressed, await Suppress(region, Recipient(1)));
        await Suppress(region, Recipient(2));
        await AwaitLiveEntitiesAsync(region, Recipient(2));

        var woken = await Query(region, Recipient(1));

        Assert.Equal(1, woken.SequenceNr);
        Assert.Equal("asked by r1@example.com", woken.State.Suppression!.Note);
        Assert.Equal(SuppressionChange.AlreadySuppressed, await Suppress(region, Recipient(1)));
        // Its wake took the node over the limit again: now r2 was the least recently used.
        await AwaitLiveEntitiesAsync(region, Recipient(1));
    }

    [Fact]
    public async Task A_recipient_passivated_with_a_send_in_flight_stops_only_once_the_send_outcome_is_persisted()
    {
        var simulator = await ProviderSimulator.StartAsync(emailRate: 100, smsRate: 100, latency: TimeSpan.Zero);
        _disposables.Add(simulator);
        var proxy = await HoldingProxy.StartAsync(simulator.Endpoint);
        _disposables.Add(proxy);
        // The provider takes the send, and its answer is held until the test lets it go.
        proxy.HoldResponse = (path, _) => path.Contains("outbound-emails", StringComparison.Ordinal);
        var region = await StartNodeAsync(limit: 1, provider: proxy.Endpoint);
        var ana = Recipient(1);
        var request = new MessageRequest
        {
            MessageId = "m1", Channel = Channel.Email, To = ana.Address, From = "news@example.com",
            Content = new MessageContent { Subject = "Hi", Text = "Hello" },
        };

        var delivery = region.Ask<DeliveryOutcome>(new Deliver(ana, request, 0), TimeSpan.FromMinutes(2));
        await AwaitCondition.UntilAsync(() => Task.FromResult(proxy.Held == 1), Deadline, "the provider took the send and its answer is held");
        // A second recipient takes the node over its limit of one: the one mid-send is the least recently used.
        await Suppress(region, Recipient(2));
        await AwaitCondition.UntilAsync(() => Task.FromResult(Registry.PassivationsAsked == 1), Deadline, "the sweep asked for the passivation");

        // Asked to stop, it is still there and still waits for its send: nothing after the intent is written.
        Assert.False(delivery.IsCompleted);
        Assert.Contains(ana.ToString(), await LiveEntitiesAsync(region));
        Assert.Equal(["recipient.request-accepted.v1", "recipient.send-intended.v1"], Manifests(ana));

        proxy.ReleaseAll();

        var outcome = await delivery;
        Assert.True(outcome is DeliveryOutcome.Sent, $"{outcome}");
        await AwaitLiveEntitiesAsync(region, Recipient(2));
        Assert.Equal(["recipient.request-accepted.v1", "recipient.send-intended.v1", "recipient.sent.v1"], Manifests(ana));
        Assert.Equal(MessageStatus.Sent, (await Query(region, ana)).State.Find("m1")!.Status);
        Assert.Equal(1, simulator.AcceptedCount);
    }
}
