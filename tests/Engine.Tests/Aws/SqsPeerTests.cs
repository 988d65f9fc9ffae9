using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Ingest;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Aws;

/// <summary>The engine's <see cref="IAmazonSQS"/> (AWSSDK.SQS, as <c>AddMessagingEngine</c> registers it) against the real local SQS peer.</summary>
public sealed class SqsPeerTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortPoll = TimeSpan.FromSeconds(1);
    private readonly ServiceProvider _services = AwsTestServices.Create(sqs: peers.SqsEndpoint);

    private IAmazonSQS Sqs => _services.GetRequiredService<IAmazonSQS>();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Sends_25_in_batches_receives_changes_visibility_and_deletes_them_all()
    {
        var queueUrl = (await Sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = UniqueName("requests"), Attributes = new() { ["VisibilityTimeout"] = "30" } })).QueueUrl;
        var messages = Enumerable.Range(0, 25).Select(i => new SendMessageBatchRequestEntry($"m{i}", $$"""{"n":{{i}}}""")
        {
            MessageAttributes = new()
            {
                ["source"] = MessageAttributeValue.String("test"),
                ["n"] = MessageAttributeValue.Number(i),
            },
        }).ToArray();

        foreach (var batch in messages.Chunk(SqsMessageViews.MaxBatchSize))
        {
            var sent = await Sqs.SendMessageBatchAsync(queueUrl, [.. batch]);
            Assert.Empty(sent.Failed ?? []);
            Assert.Equal(batch.Select(m => m.Id), sent.Successful.Select(s => s.Id));
        }

        var received = new Dictionary<string, Message>();
        await AwaitCondition.UntilAsync(
            async () =>
            {
                foreach (var message in await ReceiveAsync(queueUrl, 10, null))
                {
                    received[message.MessageId] = message; // A repeat delivery carries the newest receipt handle.
                }

                return received.Count == 25;
            },
            Deadline,
            "all 25 messages received");

        var bodies = received.Values.Select(m => JsonDocument.Parse(m.Body).RootElement.GetProperty("n").GetInt32()).Order();
        Assert.Equal(Enumerable.Range(0, 25), bodies);
        var first = received.Values.First();
        Assert.Equal("test", first.StringAttribute("source"));
        Assert.Equal("Number", first.MessageAttributes!["n"].DataType);
        Assert.True(first.ApproximateReceiveCount >= 1);
        Assert.NotNull(first.SentAt);

        var handles = received.Values.Select((m, i) => (Id: $"e{i}", m.ReceiptHandle)).ToArray();
        var extended = await Sqs.ChangeMessageVisibilityBatchAsync(
            queueUrl, handles.Take(10).Select(h => new ChangeMessageVisibilityBatchRequestEntry(h.Id, h.ReceiptHandle) { VisibilityTimeout = 60 }).ToList());
        Assert.Empty(extended.Failed ?? []);
        Assert.Equal(10, extended.Successful.Count);
        await Sqs.ChangeMessageVisibilityAsync(queueUrl, handles[10].ReceiptHandle, 45);

        foreach (var batch in handles.Chunk(SqsMessageViews.MaxBatchSize))
        {
            var deleted = await Sqs.DeleteMessageBatchAsync(queueUrl, batch.Select(h => new DeleteMessageBatchRequestEntry(h.Id, h.ReceiptHandle)).ToList());
            Assert.Empty(deleted.Failed ?? []);
            Assert.Equal(batch.Length, deleted.Successful.Count);
        }

        await AwaitCondition.UntilAsync(
            async () =>
            {
                var attributes = (await Sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
                return attributes["ApproximateNumberOfMessages"] == "0" && attributes["ApproximateNumberOfMessagesNotVisible"] == "0";
            },
            Deadline,
            "the queue is empty after deleting every message");
    }

    [Fact]
    public async Task Empty_long_polls_answer_no_messages_and_the_next_receive_gets_the_message_sent_meanwhile()
    {
        // The local peer answers an empty receive with a 200 and no body, which AWSSDK.SQS alone cannot parse.
        var queueUrl = (await Sqs.CreateQueueAsync(UniqueName("empty"))).QueueUrl;

        for (var i = 0; i < 3; i++)
        {
            Assert.Empty(await ReceiveAsync(queueUrl, 10, null));
        }

        await Sqs.SendMessageAsync(queueUrl, "after the quiet");
        var message = await ReceiveOneAsync(queueUrl);

        Assert.Equal("after the quiet", message.Body);
    }

    [Fact]
    public async Task String_number_and_binary_attributes_and_the_system_attributes_survive_the_round_trip()
    {
        var queueUrl = (await Sqs.CreateQueueAsync(UniqueName("attributes"))).QueueUrl;
        await Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = queueUrl,
            MessageBody = "typed",
            MessageAttributes = new()
            {
                ["text"] = MessageAttributeValue.String("ana"),
                ["count"] = MessageAttributeValue.Number(42),
                ["bytes"] = new MessageAttributeValue { DataType = "Binary", BinaryValue = new MemoryStream([1, 2, 3]) },
            },
        });

        var message = await ReceiveOneAsync(queueUrl);

        Assert.Equal("ana", message.StringAttribute("text"));
        Assert.Equal(("Number", "42"), (message.MessageAttributes["count"].DataType, message.MessageAttributes["count"].StringValue));
        Assert.Equal([1, 2, 3], message.MessageAttributes["bytes"].BinaryValue.ToArray());
        Assert.Equal(1, message.ApproximateReceiveCount);
        Assert.NotNull(message.SentAt);
        Assert.NotNull(message.FirstReceivedAt);
    }

    [Fact]
    public async Task A_fifo_queue_reports_the_group_and_drops_a_repeated_deduplication_id()
    {
        var queueUrl = (await Sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = UniqueName("ordered") + ".fifo",
            Attributes = new() { ["FifoQueue"] = "true" },
        })).QueueUrl;
        foreach (var _ in new[] { 1, 2 })
        {
            await Sqs.SendMessageAsync(new SendMessageRequest
            {
                QueueUrl = queueUrl, MessageBody = "once", MessageGroupId = "email:ana@example.com", MessageDeduplicationId = "order-1",
            });
        }

        var message = await ReceiveOneAsync(queueUrl);
        await Sqs.DeleteMessageAsync(queueUrl, message.ReceiptHandle);

        Assert.Equal("email:ana@example.com", message.MessageGroupId);
        Assert.Empty(await ReceiveAsync(queueUrl, 10, null));
    }

    [Fact]
    public async Task A_message_made_visible_again_is_received_again_with_a_higher_receive_count()
    {
        var queueUrl = (await Sqs.CreateQueueAsync(UniqueName("visibility"))).QueueUrl;
        Assert.NotNull((await Sqs.SendMessageAsync(queueUrl, "once")).MessageId);

        var first = await ReceiveOneAsync(queueUrl);
        await Sqs.ChangeMessageVisibilityAsync(queueUrl, first.ReceiptHandle, 0);
        var second = await ReceiveOneAsync(queueUrl);

        Assert.Equal(first.MessageId, second.MessageId);
        Assert.True(second.ApproximateReceiveCount > first.ApproximateReceiveCount);
    }

    [Fact]
    public async Task Extending_a_message_often_counts_no_receive_and_does_not_move_it_to_the_dead_letter_queue()
    {
        // As SQS: only receives count towards maxReceiveCount. The peer counted each visibility change as a receive,
        // so a request the visibility keeper extended often was dead-lettered (without a reason) once given back.
        var dlqUrl = (await Sqs.CreateQueueAsync(UniqueName("dlq"))).QueueUrl;
        var dlqArn = (await Sqs.GetQueueAttributesAsync(dlqUrl, ["QueueArn"])).Attributes["QueueArn"];
        var queueUrl = (await Sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = UniqueName("extended"),
            Attributes = new() { ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{dlqArn}}","maxReceiveCount":"2"}""" },
        })).QueueUrl;
        Assert.NotNull((await Sqs.SendMessageAsync(queueUrl, "held long")).MessageId);

        var first = await ReceiveOneAsync(queueUrl);
        for (var i = 0; i < 5; i++)
        {
            await Sqs.ChangeMessageVisibilityAsync(queueUrl, first.ReceiptHandle, 30);
        }

        await Sqs.ChangeMessageVisibilityBatchAsync(queueUrl, [new("again", first.ReceiptHandle) { VisibilityTimeout = 30 }]);
        await Sqs.ChangeMessageVisibilityAsync(queueUrl, first.ReceiptHandle, 0);
        var second = await ReceiveOneAsync(queueUrl);

        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Equal(1, first.ApproximateReceiveCount);
        Assert.Equal(2, second.ApproximateReceiveCount);
        Assert.Equal("0", (await Sqs.GetQueueAttributesAsync(dlqUrl, ["ApproximateNumberOfMessages"])).Attributes["ApproximateNumberOfMessages"]);

        // Given back after its last allowed receive, it goes to the dead-letter queue, as SQS moves it on the next receive.
        await Sqs.ChangeMessageVisibilityAsync(queueUrl, second.ReceiptHandle, 0);
        await AwaitCondition.UntilAsync(
            async () => (await Sqs.GetQueueAttributesAsync(dlqUrl, ["ApproximateNumberOfMessages"])).Attributes["ApproximateNumberOfMessages"] == "1",
            Deadline,
            "the message reaches the dead-letter queue after its last receive");
    }

    [Fact]
    public async Task Creates_a_queue_with_a_redrive_policy_to_its_dead_letter_queue()
    {
        var dlqUrl = (await Sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = UniqueName("dlq"), Attributes = new() { ["MessageRetentionPeriod"] = "1209600" } })).QueueUrl;
        var dlqArn = (await Sqs.GetQueueAttributesAsync(dlqUrl, ["QueueArn"])).Attributes["QueueArn"];
        var redrive = $$"""{"deadLetterTargetArn":"{{dlqArn}}","maxReceiveCount":"5"}""";
        var name = UniqueName("source");

        var queueUrl = (await Sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name, Attributes = new() { ["RedrivePolicy"] = redrive }, Tags = new() { ["team"] = "messaging" },
        })).QueueUrl;
        var attributes = (await Sqs.GetQueueAttributesAsync(queueUrl, ["All"])).Attributes;

        Assert.Equal(queueUrl, (await Sqs.GetQueueUrlAsync(name)).QueueUrl);
        using var policy = JsonDocument.Parse(attributes["RedrivePolicy"]);
        Assert.Equal(dlqArn, policy.RootElement.GetProperty("deadLetterTargetArn").GetString());
        Assert.Equal("5", policy.RootElement.GetProperty("maxReceiveCount").ToString());
        Assert.Equal("1209600", (await Sqs.GetQueueAttributesAsync(dlqUrl, ["MessageRetentionPeriod"])).Attributes["MessageRetentionPeriod"]);

        await Sqs.SetQueueAttributesAsync(queueUrl, new Dictionary<string, string> { ["VisibilityTimeout"] = "120" });
        Assert.Equal("120", (await Sqs.GetQueueAttributesAsync(queueUrl, ["VisibilityTimeout"])).Attributes["VisibilityTimeout"]);
        Assert.Contains(queueUrl, (await Sqs.ListQueuesAsync(name)).QueueUrls);
        var directory = _services.GetRequiredService<QueueDirectory>();
        Assert.Equal(5, (await directory.MaxReceiveCountAsync(queueUrl, default)).Value);
        // A queue without the policy: the peer answers GetQueueAttributes with no body at all.
        Assert.Null((await directory.MaxReceiveCountAsync(dlqUrl, default)).Value);
    }

    [Fact]
    public async Task A_batch_with_one_bad_entry_reports_exactly_that_entry()
    {
        var queueUrl = (await Sqs.CreateQueueAsync(UniqueName("partial"))).QueueUrl;
        List<SendMessageBatchRequestEntry> batch =
        [
            new("good-1", "fine"),
            new("bad", "delayed past the 15-minute limit") { DelaySeconds = 20 * 60 },
            new("good-2", "also fine"),
        ];

        var result = await Sqs.SendMessageBatchAsync(queueUrl, batch);

        Assert.Equal(["good-1", "good-2"], result.Successful.Select(s => s.Id).Order());
        var failure = Assert.Single(result.Failed);
        Assert.Equal("bad", failure.Id);
        Assert.True(failure.SenderFault);
        Assert.Equal(ProviderErrorKind.Permanent, SqsErrors.KindOf(failure));
    }

    [Fact]
    public async Task A_delete_batch_with_one_stale_handle_reports_exactly_that_entry()
    {
        var queueUrl = (await Sqs.CreateQueueAsync(UniqueName("delete"))).QueueUrl;
        Assert.NotNull((await Sqs.SendMessageAsync(queueUrl, "x")).MessageId);
        var message = await ReceiveOneAsync(queueUrl);

        var result = await Sqs.DeleteMessageBatchAsync(queueUrl, [new("real", message.ReceiptHandle), new("made-up", "not-a-receipt-handle")]);

        Assert.Equal(["real"], result.Successful.Select(s => s.Id));
        Assert.Equal("made-up", Assert.Single(result.Failed).Id);
    }

    [Fact]
    public async Task A_missing_queue_is_a_permanent_error_with_its_code()
    {
        var result = await SqsErrors.TryAsync(ct => Sqs.GetQueueUrlAsync(UniqueName("missing"), ct), default);

        Assert.False(result.IsSuccess);
        Assert.Equal(ProviderErrorKind.Permanent, result.Error.Kind);
        Assert.Equal("QueueDoesNotExist", result.Error.Code);
        Assert.Equal(400, result.Error.HttpStatus);
    }

    private async Task<List<Message>> ReceiveAsync(string queueUrl, int most, TimeSpan? visibility) =>
        (await Sqs.ReceiveMessageAsync(SqsMessageViews.ReceiveAll(queueUrl, most, ShortPoll, visibility))).Messages ?? [];

    private async Task<Message> ReceiveOneAsync(string queueUrl)
    {
        Message? received = null;
        await AwaitCondition.UntilAsync(
            async () =>
            {
                received = (await ReceiveAsync(queueUrl, 1, TimeSpan.FromSeconds(30))).FirstOrDefault();
                return received is not null;
            },
            Deadline,
            "a message is received");
        return received!;
    }

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
