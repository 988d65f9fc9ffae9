using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;

namespace Messaging.Load;

/// <summary>
/// How long the local SQS peer alone takes from <c>SendMessage</c> to a receive, polled as the engine polls (8 receivers,
/// no long-poll wait), at the pace of a latency phase: the floor under any runner's request-to-send latency here. The
/// peer answers a receive at once only when it has 10 messages; with fewer it answers after about 40 ms.
/// </summary>
internal static class ReceiveFloor
{
    private const int Receivers = 8;

    /// <returns>Latencies in milliseconds, sorted.</returns>
    public static async Task<IReadOnlyList<double>> MeasureAsync(IAmazonSQS sqs, string queueName, int count, double perSecond)
    {
        await sqs.CreateQueueAsync(queueName);
        var queueUrl = (await sqs.GetQueueUrlAsync(queueName)).QueueUrl;
        var sentAt = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var receivedAt = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var receivers = Enumerable.Range(0, Receivers).Select(_ => ReceiveAsync(sqs, queueUrl, receivedAt, stop.Token)).ToList();

        var start = Stopwatch.GetTimestamp();
        for (var k = 0; k < count; k++)
        {
            var due = TimeSpan.FromSeconds(k / perSecond) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            var before = Stopwatch.GetTimestamp();
            var sent = await sqs.SendMessageAsync(queueUrl, $"floor {k}");
            sentAt[sent.MessageId] = before;
        }

        var deadline = Stopwatch.GetTimestamp();
        while (receivedAt.Count < count && Stopwatch.GetElapsedTime(deadline) < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Task.WhenAll(receivers);
        if (receivedAt.Count < count)
        {
            throw new InvalidOperationException($"Only {receivedAt.Count} of {count} floor messages were received within 30 s.");
        }

        return sentAt.Select(s => Stopwatch.GetElapsedTime(s.Value, receivedAt[s.Key]).TotalMilliseconds).Order().ToList();
    }

    private static async Task ReceiveAsync(IAmazonSQS sqs, string queueUrl, ConcurrentDictionary<string, long> receivedAt, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var received = (await sqs.ReceiveMessageAsync(
                SqsMessageViews.ReceiveAll(queueUrl, SqsMessageViews.MaxBatchSize, TimeSpan.Zero, null), CancellationToken.None)).Messages ?? [];
            var now = Stopwatch.GetTimestamp();
            foreach (var message in received)
            {
                receivedAt.TryAdd(message.MessageId, now);
            }

            if (received.Count > 0)
            {
                await sqs.DeleteMessageBatchAsync(
                    queueUrl, received.Select((m, i) => new DeleteMessageBatchRequestEntry($"d{i}", m.ReceiptHandle)).ToList(), CancellationToken.None);
            }
        }
    }
}
