using System.Diagnostics.Metrics;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
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

        // At SQS's limit it has no room for its redrive mark, without which it would only be dead-lettered again: it is
        // kept on the dead-letter queue with the reason, and the operator purges it.
        var redriven = (await console.RedriveAsync(DeadLetterQueueKind.Requests, [], "ops@example.com", default)).Value;
        Assert.Empty(redriven.Done);
        Assert.Equal([entry.SqsMessageId], redriven.NotDeleted);
        Assert.Contains("too large to redrive", redriven.NotDeletedReasons![entry.SqsMessageId]);
        var still = Assert.Single((await console.PeekAsync(DeadLetterQueueKind.Requests, 10, default)).Value);
        Assert.Equal(entry.SqsMessageId, still.SqsMessageId);
        Assert.Equal(body, still.Body);
        Assert.Equal(1, Interlocked.Read(ref counted));

        var purged = (await console.PurgeAsync(DeadLetterQueueKind.Requests, [], default)).Value;
        Assert.Equal([entry.SqsMessageId], purged.Done);
    }

    [Fact]
    public async Task A_dead_letter_whose_stored_body_is_gone_is_kept_with_the_reason_and_the_others_are_still_redriven()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var lost = (await engine.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = engine.DeadLetterQueueUrl,
            MessageBody = "{\"storedBody\":\"gone\"}",
            MessageAttributes = new Dictionary<string, MessageAttributeValue>(StringComparer.Ordinal)
            {
                [DeadLetterWriter.StoredBodyAttribute] = MessageAttributeValue.String("gone"),
                [DeadLetterWriter.SourceQueueAttribute] = MessageAttributeValue.String($"{engine.Prefix}-requests"),
            },
        })).MessageId;
        var fine = (await engine.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = engine.DeadLetterQueueUrl,
            MessageBody = EngineUnderTest.EmailRequest("redriven-1", engine.Address("redriven-1")),
            MessageAttributes = new Dictionary<string, MessageAttributeValue>(StringComparer.Ordinal)
            {
                [DeadLetterWriter.SourceQueueAttribute] = MessageAttributeValue.String($"{engine.Prefix}-requests"),
            },
        })).MessageId;
        var console = engine.Services.GetRequiredService<DeadLetterConsole>();

        var redriven = (await console.RedriveAsync(DeadLetterQueueKind.Requests, [lost, fine], "ops@example.com", default)).Value;

        Assert.Equal([fine], redriven.Done);
        Assert.Equal([lost], redriven.NotDeleted);
        Assert.Contains("no longer in the engine's store", redriven.NotDeletedReasons![lost]);
        Assert.Empty(redriven.NotFound);
        Assert.Equal(lost, Assert.Single((await console.PeekAsync(DeadLetterQueueKind.Requests, 10, default)).Value).SqsMessageId);
    }
}
