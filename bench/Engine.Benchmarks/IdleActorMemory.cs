using Messaging.Contracts.Requests;
using Messaging.Engine.Actors;
using Messaging.Engine.Recipients;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Benchmarks;

/// <summary>
/// Bytes of managed memory held per live, idle recipient actor: the heap after waking N actors minus the heap before,
/// divided by N, after full collections. Not a BenchmarkDotNet benchmark: it measures what stays, not what is allocated.
/// </summary>
internal static class IdleActorMemory
{
    public static async Task RunAsync(int actors)
    {
        await using var store = await BenchmarkStore.StartAsync(StoreKind.Sqlite);
        var host = ActorMessagingBenchmarks.NewHost();
        var services = store.RecipientServices();
        var recipients = host.CreateRegistry<RecipientKey, RecipientCommand>("recipient", key => new RecipientActor(key, services));
        var keys = Enumerable.Range(0, actors).Select(i => RecipientKey.For(Channel.Email, $"user{i}@example.com")).ToArray();

        var before = Settle();
        for (var i = 0; i < keys.Length; i += 1_000)
        {
            await Task.WhenAll(keys.Skip(i).Take(1_000).Select(k =>
                recipients.AskAsync<RecipientSnapshot>(k, r => new GetRecipientState(r), TimeSpan.FromMinutes(1), default)));
        }

        var after = Settle();
        Console.WriteLine($"Live idle recipient actors: {recipients.LiveCount:N0}");
        Console.WriteLine($"Managed heap: {before / 1024.0 / 1024:0.0} MiB before, {after / 1024.0 / 1024:0.0} MiB after");
        Console.WriteLine($"Bytes per live idle actor (key included): {(after - before) / (double)actors:0}");
        GC.KeepAlive(keys);
        await host.StopAsync(CancellationToken.None);
    }

    private static long Settle()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
