using System.Diagnostics;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Testing;

namespace Messaging.Load;

/// <summary>
/// Puts email requests on the request queue as an application would: message <c>i</c> has the id
/// <c>{prefix}-{i}</c> and goes to recipient <c>i mod recipients</c>, so recipients take turns in queue order.
/// </summary>
internal sealed class Producer(IAmazonSQS sqs, string queueUrl, string prefix, int recipients)
{
    private int _next;

    public static int RecipientOf(string messageId, int recipients) =>
        int.Parse(messageId.AsSpan(messageId.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture) % recipients;

    /// <summary>Queues <paramref name="count"/> requests, ten to a call, eight calls at a time.</summary>
    public Task EnqueueAsync(int count, CancellationToken cancellationToken = default)
    {
        var first = _next;
        _next += count;
        return Parallel.ForEachAsync(Enumerable.Range(first, count).Chunk(SqsMessageViews.MaxBatchSize),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (chunk, ct) =>
            {
                var sent = await sqs.SendMessageBatchAsync(queueUrl, chunk.Select(i => new SendMessageBatchRequestEntry($"m{i}", Request(i))).ToList(), ct);
                if (sent.Failed is { Count: > 0 } failed)
                {
                    throw new InvalidOperationException($"Enqueueing failed: {failed[0].Code} {failed[0].Message}");
                }
            });
    }

    /// <summary>Queues <paramref name="count"/> requests while the runner sends them, keeping at most <paramref name="depth"/> unsent.</summary>
    public async Task StreamAsync(int count, Func<int> sent, int depth, CancellationToken cancellationToken)
    {
        const int Step = 2_000;
        while (_next < count)
        {
            if (_next - sent() < depth)
            {
                await EnqueueAsync(Math.Min(Step, count - _next), cancellationToken);
            }
            else
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    /// <summary>Queues <paramref name="count"/> requests one per call at <paramref name="perSecond"/>; returns when each was handed to SQS.</summary>
    public async Task<IReadOnlyDictionary<string, long>> PaceAsync(int count, double perSecond, CancellationToken cancellationToken = default)
    {
        var enqueuedAt = new Dictionary<string, long>(StringComparer.Ordinal);
        var start = Stopwatch.GetTimestamp();
        for (var k = 0; k < count; k++)
        {
            var due = TimeSpan.FromSeconds(k / perSecond) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }

            var i = _next++;
            enqueuedAt[$"{prefix}-{i}"] = Stopwatch.GetTimestamp();
            await sqs.SendMessageAsync(queueUrl, Request(i), cancellationToken);
        }

        return enqueuedAt;
    }

    private string Request(int i) => EngineUnderTest.EmailRequest($"{prefix}-{i}", $"user{i % recipients}@{prefix}.test");
}
