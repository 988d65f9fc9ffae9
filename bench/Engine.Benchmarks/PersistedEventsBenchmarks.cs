using BenchmarkDotNet.Attributes;
using Messaging.Contracts.Requests;
using Messaging.Engine.Actors;
using Messaging.Engine.Recipients;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Benchmarks;

/// <summary>
/// Persisted events per second through real recipient actors: each actor handles its commands one at a time (each
/// waits for its own event to be durable), so only group commit lets many actors share a transaction.
/// </summary>
public class PersistedEventsBenchmarks
{
    private BenchmarkStore _store = null!;
    private ActorHost _host = null!;
    private EntityRegistry<RecipientKey, RecipientCommand> _recipients = null!;
    private RecipientKey[] _keys = [];

    [Params(StoreKind.Sqlite, StoreKind.Postgres)]
    public StoreKind Store { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _store = await BenchmarkStore.StartAsync(Store);
        _host = ActorMessagingBenchmarks.NewHost();
        var services = _store.RecipientServices();
        _recipients = _host.CreateRegistry<RecipientKey, RecipientCommand>("recipient", key => new RecipientActor(key, services));
        _keys = Enumerable.Range(0, 10_000).Select(i => RecipientKey.For(Channel.Email, $"user{i}@example.com")).ToArray();
        // Every actor is live before measuring: this measures persisting, not first-time recovery.
        await Task.WhenAll(_keys.Select(k => _recipients.AskAsync<RecipientSnapshot>(k, r => new GetRecipientState(r), TimeSpan.FromMinutes(1), default)));
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _host.StopAsync(CancellationToken.None);
        await _store.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = 200)]
    public Task OneActor() => RunAsync(actors: 1, eventsEach: 200);

    [Benchmark(OperationsPerInvoke = 10_000)]
    public Task HundredActors() => RunAsync(actors: 100, eventsEach: 100);

    [Benchmark(OperationsPerInvoke = 20_000)]
    public Task TenThousandActors() => RunAsync(actors: 10_000, eventsEach: 2);

    /// <summary>Each actor toggles its recipient's suppression: one event per command, each awaited before the next.</summary>
    private Task RunAsync(int actors, int eventsEach) =>
        Task.WhenAll(_keys.Take(actors).Select(async key =>
        {
            for (var i = 0; i < eventsEach; i++)
            {
                var change = await _recipients.AskAsync<SuppressionChange>(
                    key, r => new SuppressRecipient("bench", "toggle", r), TimeSpan.FromMinutes(1), default);
                if (change == SuppressionChange.AlreadySuppressed)
                {
                    await _recipients.AskAsync<SuppressionChange>(
                        key, r => new UnsuppressRecipient("bench", "toggle", r), TimeSpan.FromMinutes(1), default);
                }
            }
        }));
}
