using BenchmarkDotNet.Attributes;
using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Events;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Benchmarks;

/// <summary>Time to rebuild a recipient with 1,000 events: from the events alone, and from a snapshot at the end.</summary>
[MemoryDiagnoser]
public class RecoveryBenchmarks
{
    private const int Events = 1_000;
    private BenchmarkStore _store = null!;
    private RecipientJournal _journal = null!;
    private readonly RecipientKey _eventsOnly = RecipientKey.For(Channel.Email, "events-only@example.com");
    private readonly RecipientKey _snapshotted = RecipientKey.For(Channel.Email, "snapshotted@example.com");

    [Params(StoreKind.Sqlite, StoreKind.Postgres)]
    public StoreKind Store { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        // Snapshots are taken by hand below, so the automatic ones are pushed out of reach.
        _store = await BenchmarkStore.StartAsync(Store, snapshotEvery: 1_000_000);
        var serializer = new RecipientEventSerializer();
        _journal = new RecipientJournal(_store.Journal, serializer, Options.Create(_store.Options));
        foreach (var key in new[] { _eventsOnly, _snapshotted })
        {
            var state = RecipientState.Empty;
            var at = DateTimeOffset.UtcNow.AddDays(-1);
            for (var seq = 0; seq < Events; seq += 4)
            {
                var id = $"m{seq}";
                IRecipientEvent[] events =
                [
                    new RequestAccepted(id, Category.Transactional, at),
                    new SendIntended(id, at),
                    new Sent(id, $"0100-{seq}", at),
                    new Delivered(id, at),
                ];
                (_, state) = await _journal.AppendAsync(key, seq, state, events, default);
            }

            if (key == _snapshotted)
            {
                var snapshot = serializer.SerializeState(state);
                await _store.Journal.SaveSnapshotAsync(new Snapshot(key.ToString(), Events, snapshot.Type, snapshot.Payload, at), default);
            }
        }
    }

    [GlobalCleanup]
    public ValueTask Cleanup() => _store.DisposeAsync();

    [Benchmark(Baseline = true)]
    public async Task<long> FromEvents() => (await _journal.LoadAsync(_eventsOnly, default)).SequenceNr;

    [Benchmark]
    public async Task<long> FromSnapshot() => (await _journal.LoadAsync(_snapshotted, default)).SequenceNr;
}
