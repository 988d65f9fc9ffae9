using System.Diagnostics.Metrics;
using Messaging.Engine.Aws.Sqs;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Telemetry;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>A request at SQS's 1 MiB limit has no room for the dead-letter reasons: it must arrive with them anyway.</summary>
public sealed class OversizeDeadLetterTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_1_MiB_invalid_request_is_dead_lettered_with_its_reason_peeked_and_redriven_with_its_original_body_and_counted_once()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var queue = $"{engine.Prefix}-requests";
        long counted = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == EngineMetrics.MeterName && instrument.Name == "messaging.dead_lettered")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "queue" && Equals(tag.Value, queue))
                {
                    Interlocked.Add(ref counted, value);
                }
            }
        });
        listener.Start();

        // Not a request at all, and exactly as large as SQS takes: no byte left for the engine's attributes.
        var body = "{\"schema\":\"messaging.request.v1\",\"messageId\":\"huge\",\"junk\":\"" + new string('x', 1_048_576 - 64);
        body += new string('y', 1_048_576 - body.Length);
        Assert.Equal(1_048_576, body.Length);
        await engine.EnqueueAsync([body]);

        var console = engine.Services.GetRequiredService<DeadLetterConsole>();
        IReadOnlyList<DeadLetterEntry> entries = [];
        await AwaitCondition.UntilAsync(async () =>
        {
            entries = (await console.PeekAsync(DeadLetterQueueKind.Requests, 10, default)).Value;
            return entries.Count > 0;
        }, Deadline, "the request reaches the dead-letter queue");
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0, Deadline, "the request leaves its queue");

        var entry = Assert.Single(entries);
        Assert.Contains("invalid request", entry.Error);
        Assert.Equal(queue, entry.SourceQueue);
        Assert.Equal(body, entry.Body);
        Assert.Equal(1, Interlocked.Read(ref counted));

        // Redriven, the original goes back: the engine reads all 1 MiB again and dead-letters it again, body kept.
        var redriven = (await console.RedriveAsync(DeadLetterQueueKind.Requests, [], "ops@example.com", default)).Value;
        Assert.Equal([entry.SqsMessageId], redriven.Done);
        await AwaitCondition.UntilAsync(async () =>
        {
            entries = (await console.PeekAsync(DeadLetterQueueKind.Requests, 10, default)).Value;
            return entries.Count > 0;
        }, Deadline, "the redriven request is read and dead-lettered again");
        var again = Assert.Single(entries);
        Assert.NotEqual(entry.SqsMessageId, again.SqsMessageId);
        Assert.Equal(body, again.Body);
        Assert.Contains("invalid request", again.Error);
        Assert.Equal(2, Interlocked.Read(ref counted));

        var purged = (await console.PurgeAsync(DeadLetterQueueKind.Requests, [], default)).Value;
        Assert.Equal([again.SqsMessageId], purged.Done);
    }
}
