using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Messaging.Engine.Aws;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Sending;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Ingest;

/// <summary>Queue names to URLs (asked once, then remembered), and the creation of every queue the engine uses.</summary>
public sealed class QueueDirectory(IAmazonSQS sqs, IOptions<IngestOptions> ingest, IOptions<SendingOptions> sending)
{
    /// <summary>SQS's longest retention: what the dead-letter queue keeps.</summary>
    public static readonly TimeSpan DeadLetterRetention = TimeSpan.FromDays(14);

    private readonly ConcurrentDictionary<string, string> _urls = new(StringComparer.Ordinal);

    public async Task<AwsResult<string>> UrlOfAsync(string name, CancellationToken cancellationToken)
    {
        if (_urls.TryGetValue(name, out var known))
        {
            return AwsResult<string>.Success(known);
        }

        var url = await SqsErrors.TryAsync(async ct => (await sqs.GetQueueUrlAsync(name, ct).ConfigureAwait(false)).QueueUrl, cancellationToken)
            .ConfigureAwait(false);
        if (url.IsSuccess)
        {
            _urls[name] = url.Value;
        }

        return url;
    }

    /// <summary>
    /// Creates the dead-letter queue (14-day retention), the request queues (redriving to it as a backstop after
    /// <c>MaxAttempts</c> + 2 receives — the engine itself dead-letters after <c>MaxAttempts</c>) and the feedback
    /// queue. Safe to run again. Returns what was created, or the first failure.
    /// </summary>
    public async Task<AwsResult<IReadOnlyList<string>>> CreateAllAsync(CancellationToken cancellationToken)
    {
        var options = ingest.Value;
        var created = new List<string>();
        var fifoRequests = options.Queues.Where(q => IsFifo(q.Name)).ToList();
        var standardRequests = options.Queues.Where(q => !IsFifo(q.Name)).ToList();

        // A FIFO queue can only redrive to a FIFO dead-letter queue: it gets a twin with the .fifo suffix.
        foreach (var (requests, dlqName) in new[]
                 {
                     (standardRequests, options.DeadLetterQueue),
                     (fifoRequests, FifoTwinOf(options.DeadLetterQueue)),
                 })
        {
            if (requests.Count == 0)
            {
                continue;
            }

            var dlq = await CreateAsync(dlqName, new Dictionary<string, string>
            {
                ["MessageRetentionPeriod"] = ((int)DeadLetterRetention.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            }, cancellationToken).ConfigureAwait(false);
            if (!dlq.TryGetValue(out var dlqUrl, out var error))
            {
                return AwsResult<IReadOnlyList<string>>.Failure(error);
            }

            created.Add(dlqName);
            var attributes = await AttributesAsync(dlqUrl, ["QueueArn"], cancellationToken).ConfigureAwait(false);
            if (!attributes.TryGetValue(out var dlqAttributes, out error))
            {
                return AwsResult<IReadOnlyList<string>>.Failure(error);
            }

            var redrive = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["deadLetterTargetArn"] = dlqAttributes.GetValueOrDefault("QueueArn") ?? "",
                ["maxReceiveCount"] = sending.Value.MaxAttempts + 2,
            }, IngestJsonContext.Default.DictionaryStringObject);
            foreach (var queue in requests)
            {
                var result = await CreateAsync(queue.Name, new Dictionary<string, string>
                {
                    ["VisibilityTimeout"] = ((int)options.VisibilityTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
                    ["RedrivePolicy"] = redrive,
                }, cancellationToken).ConfigureAwait(false);
                if (!result.TryGetValue(out _, out error))
                {
                    return AwsResult<IReadOnlyList<string>>.Failure(error);
                }

                created.Add(queue.Name);
            }
        }

        // Feedback that keeps failing (storage down for long) is moved to the feedback DLQ by SQS itself.
        var feedbackDlq = await CreateAsync(options.FeedbackDeadLetterQueue, new Dictionary<string, string>
        {
            ["MessageRetentionPeriod"] = ((int)DeadLetterRetention.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        }, cancellationToken).ConfigureAwait(false);
        if (!feedbackDlq.TryGetValue(out var feedbackDlqUrl, out var feedbackError))
        {
            return AwsResult<IReadOnlyList<string>>.Failure(feedbackError);
        }

        created.Add(options.FeedbackDeadLetterQueue);
        var feedbackDlqAttributes = await AttributesAsync(feedbackDlqUrl, ["QueueArn"], cancellationToken).ConfigureAwait(false);
        if (!feedbackDlqAttributes.TryGetValue(out var feedbackDlqArn, out feedbackError))
        {
            return AwsResult<IReadOnlyList<string>>.Failure(feedbackError);
        }

        var feedback = await CreateAsync(options.FeedbackQueue, new Dictionary<string, string>
        {
            ["VisibilityTimeout"] = ((int)options.VisibilityTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            ["RedrivePolicy"] = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["deadLetterTargetArn"] = feedbackDlqArn.GetValueOrDefault("QueueArn") ?? "",
                ["maxReceiveCount"] = FeedbackMaxReceives,
            }, IngestJsonContext.Default.DictionaryStringObject),
        }, cancellationToken).ConfigureAwait(false);
        if (!feedback.TryGetValue(out _, out feedbackError))
        {
            return AwsResult<IReadOnlyList<string>>.Failure(feedbackError);
        }

        created.Add(options.FeedbackQueue);
        if (options.StatusQueueName is { } statusQueue)
        {
            var status = await CreateAsync(statusQueue, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
            if (!status.TryGetValue(out _, out var statusError))
            {
                return AwsResult<IReadOnlyList<string>>.Failure(statusError);
            }

            created.Add(statusQueue);
        }

        return AwsResult<IReadOnlyList<string>>.Success(created);
    }

    /// <summary>
    /// The <c>maxReceiveCount</c> of the queue's <c>RedrivePolicy</c>: after that many receives SQS itself moves a message
    /// to the dead-letter queue (without the engine's reason). Null when the queue has no redrive policy.
    /// </summary>
    public async Task<AwsResult<int?>> MaxReceiveCountAsync(string queueUrl, CancellationToken cancellationToken)
    {
        var attributes = await AttributesAsync(queueUrl, ["RedrivePolicy"], cancellationToken).ConfigureAwait(false);
        if (!attributes.TryGetValue(out var values, out var error))
        {
            return AwsResult<int?>.Failure(error);
        }

        return AwsResult<int?>.Success(values.GetValueOrDefault("RedrivePolicy") is { Length: > 0 } policy ? MaxReceiveCountOf(policy) : null);
    }

    /// <summary>SQS writes <c>maxReceiveCount</c> as a number or as a string, depending on who set the policy.</summary>
    internal static int? MaxReceiveCountOf(string redrivePolicy)
    {
        using var document = JsonDocument.Parse(redrivePolicy);
        if (!document.RootElement.TryGetProperty("maxReceiveCount", out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number ? value.GetInt32()
            : int.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
    }

    /// <summary>Receives of one feedback message before SQS moves it to the feedback DLQ.</summary>
    public const int FeedbackMaxReceives = 10;

    /// <summary>The dead-letter queue for messages taken from <paramref name="sourceQueue"/> (a request or the feedback queue).</summary>
    public string DeadLetterQueueFor(string sourceQueue) =>
        sourceQueue == ingest.Value.FeedbackQueue ? ingest.Value.FeedbackDeadLetterQueue
        : IsFifo(sourceQueue) ? FifoTwinOf(ingest.Value.DeadLetterQueue) : ingest.Value.DeadLetterQueue;

    public static bool IsFifo(string queueName) => queueName.EndsWith(".fifo", StringComparison.Ordinal);

    private static string FifoTwinOf(string name) => IsFifo(name) ? name : name + ".fifo";

    private async Task<AwsResult<string>> CreateAsync(
        string name, Dictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        if (IsFifo(name))
        {
            attributes["FifoQueue"] = "true";
        }

        var url = await SqsErrors.TryAsync(
            async ct => (await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes }, ct).ConfigureAwait(false)).QueueUrl,
            cancellationToken).ConfigureAwait(false);
        if (url.IsSuccess)
        {
            _urls[name] = url.Value;
        }

        return url;
    }

    /// <summary>Queue attributes by name; an attribute the queue does not have is absent.</summary>
    public Task<AwsResult<IReadOnlyDictionary<string, string>>> AttributesAsync(string queueUrl, List<string> names, CancellationToken cancellationToken) =>
        SqsErrors.TryAsync<IReadOnlyDictionary<string, string>>(
            async ct => (await sqs.GetQueueAttributesAsync(queueUrl, names, ct).ConfigureAwait(false)).Attributes ?? [],
            cancellationToken);
}
