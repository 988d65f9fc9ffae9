using System.Text.Json;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Sqs;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Aws.Sqs;

public sealed class SqsClientTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortPoll = TimeSpan.FromSeconds(1);
    private readonly ServiceProvider _services = AwsTestServices.Create(sqs: peers.SqsEndpoint);

    private SqsClient Sqs => _services.GetRequiredService<SqsClient>();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Sends_25_in_batches_receives_changes_visibility_and_deletes_them_all()
    {
        var queueUrl = (await Sqs.CreateQueueAsync(UniqueName("requests"), new Dictionary<string, string> { ["VisibilityTimeout"] = "30" }, null, default)).Value;
        var messages = Enumerable.Range(0, 25).Select(i => new SqsOutgoingMessage
        {
            Id = $"m{i}",
            Body = $$"""{"n":{{i}}}""",
            Attributes = new Dictionary<string, SqsMessageAttribute>
            {
                ["source"] = SqsMessageAttribute.String("test"),
                ["n"] = SqsMessageAttribute.Number(i),
            },
        }).ToArray();

        foreach (var batch in messages.Chunk(SqsClient.MaxBatchSize))
        {
            var sent = (await Sqs.SendMessageBatchAsync(queueUrl, batch, default)).Value;
            Assert.Empty(sent.Failed);
            Assert.Equal(batch.Select(m => m.Id), sent.Sent.Select(s => s.Id));
        }

        var received = new Dictionary<string, SqsMessage>();
        await AwaitCondition.UntilAsync(
            async () =>
            {
                foreach (var message in (await Sqs.ReceiveMessagesAsync(queueUrl, 10, ShortPoll, null, default)).Value)
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
        var extended = (await Sqs.ChangeMessageVisibilityBatchAsync(queueUrl, handles.Take(10).Select(h => new SqsVisibilityChange(h.Id, h.ReceiptHandle, TimeSpan.FromSeconds(60))).ToArray(), default)).Value;
        Assert.Empty(extended.Failed);
        Assert.Equal(10, extended.Succeeded.Count);
        Assert.True((await Sqs.ChangeMessageVisibilityAsync(queueUrl, handles[10].ReceiptHandle, TimeSpan.FromSeconds(45), default)).Value);

        foreach (var batch in handles.Chunk(SqsClient.MaxBatchSize))
        {
            var deleted = (await Sqs.DeleteMessageBatchAsync(queueUrl, batch.Select(h => new SqsReceipt(h.Id, h.ReceiptHandle)).ToArray(), default)).Value;
            Assert.Empty(deleted.Failed);
            Assert.Equal(batch.Length, deleted.Succeeded.Count);
        }

        await AwaitCondition.UntilAsync(
            async () =>
            {
                var attributes = (await Sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"], default)).Value;
                return attributes["ApproximateNumberOfMessages"] == "0" && attributes["ApproximateNumberOfMessagesNotVisible"] == "0";
            },
            Deadline,
            "the queue is empty after deleting every message");
    }

    [Fact]
    public async Task A_message_made_visible_again_is_received_again_with_a_higher_receive_count()
    {
        var queueUrl = (await Sqs.CreateQueueAsync(UniqueName("visibility"), null, null, default)).Value;
        Assert.True((await Sqs.SendMessageAsync(queueUrl, new SqsOutgoingMessage { Body = "once" }, default)).IsSuccess);

        var first = await ReceiveOneAsync(queueUrl);
        Assert.True((await Sqs.ChangeMessageVisibilityAsync(queueUrl, first.ReceiptHandle, TimeSpan.Zero, default)).Value);
        var second = await ReceiveOneAsync(queueUrl);

        Assert.Equal(first.MessageId, second.MessageId);
        Assert.True(second.ApproximateReceiveCount > first.ApproximateReceiveCount);
    }

    [Fact]
    public async Task Creates_a_queue_with_a_redrive_policy_to_its_dead_letter_queue()
    {
        var dlqUrl = (await Sqs.CreateQueueAsync(UniqueName("dlq"), new Dictionary<string, string> { ["MessageRetentionPeriod"] = "1209600" }, null, default)).Value;
        var dlqArn = (await Sqs.GetQueueAttributesAsync(dlqUrl, ["QueueArn"], default)).Value["QueueArn"];
        var redrive = $$"""{"deadLetterTargetArn":"{{dlqArn}}","maxReceiveCount":"5"}""";
        var name = UniqueName("source");

        var queueUrl = (await Sqs.CreateQueueAsync(name, new Dictionary<string, string> { ["RedrivePolicy"] = redrive }, new Dictionary<string, string> { ["team"] = "messaging" }, default)).Value;
        var attributes = (await Sqs.GetQueueAttributesAsync(queueUrl, ["All"], default)).Value;

        Assert.Equal(queueUrl, (await Sqs.GetQueueUrlAsync(name, default)).Value);
        using var policy = JsonDocument.Parse(attributes["RedrivePolicy"]);
        Assert.Equal(dlqArn, policy.RootElement.GetProperty("deadLetterTargetArn").GetString());
        Assert.Equal("5", policy.RootElement.GetProperty("maxReceiveCount").ToString());
        Assert.Equal("1209600", (await Sqs.GetQueueAttributesAsync(dlqUrl, ["MessageRetentionPeriod"], default)).Value["MessageRetentionPeriod"]);

        Assert.True((await Sqs.SetQueueAttributesAsync(queueUrl, new Dictionary<string, string> { ["VisibilityTimeout"] = "120" }, default)).Value);
        Assert.Equal("120", (await Sqs.GetQueueAttributesAsync(queueUrl, ["VisibilityTimeout"], default)).Value["VisibilityTimeout"]);
        Assert.Contains(queueUrl, (await Sqs.ListQueuesAsync(name, default)).Value);
    }

    [Fact]
    public async Task A_batch_with_one_bad_entry_reports_exactly_that_entry()
    {
        var queueUrl = (await Sqs.CreateQueueAsync(UniqueName("partial"), null, null, default)).Value;
        SqsOutgoingMessage[] batch =
        [
            new() { Id = "good-1", Body = "fine" },
            new() { Id = "bad", Body = "delayed past the 15-minute limit", Delay = TimeSpan.FromMinutes(20) },
            new() { Id = "good-2", Body = "also fine" },
        ];

        var result = (await Sqs.SendMessageBatchAsync(queueUrl, batch, default)).Value;

        Assert.Equal(["good-1", "good-2"], result.Sent.Select(s => s.Id).Order());
        var failure = Assert.Single(result.Failed);
        Assert.Equal("bad", failure.Id);
        Assert.True(failure.SenderFault);
        Assert.Equal(ProviderErrorKind.Permanent, failure.Kind);
    }

    [Fact]
    public async Task A_delete_batch_with_one_stale_handle_reports_exactly_that_entry()
    {
        var queueUrl = (await Sqs.CreateQueueAsync(UniqueName("delete"), null, null, default)).Value;
        Assert.True((await Sqs.SendMessageAsync(queueUrl, new SqsOutgoingMessage { Body = "x" }, default)).IsSuccess);
        var message = await ReceiveOneAsync(queueUrl);

        var result = (await Sqs.DeleteMessageBatchAsync(queueUrl, [new("real", message.ReceiptHandle), new("made-up", "not-a-receipt-handle")], default)).Value;

        Assert.Equal(["real"], result.Succeeded);
        Assert.Equal("made-up", Assert.Single(result.Failed).Id);
    }

    [Fact]
    public async Task A_missing_queue_is_a_permanent_error_with_its_code()
    {
        var result = await Sqs.GetQueueUrlAsync(UniqueName("missing"), default);

        Assert.False(result.IsSuccess);
        Assert.Equal(ProviderErrorKind.Permanent, result.Error.Kind);
        Assert.Equal("QueueDoesNotExist", result.Error.Code);
        Assert.Equal(400, result.Error.HttpStatus);
    }

    private async Task<SqsMessage> ReceiveOneAsync(string queueUrl)
    {
        SqsMessage? received = null;
        await AwaitCondition.UntilAsync(
            async () =>
            {
                received = (await Sqs.ReceiveMessagesAsync(queueUrl, 1, ShortPoll, TimeSpan.FromSeconds(30), default)).Value.FirstOrDefault();
                return received is not null;
            },
            Deadline,
            "a message is received");
        return received!;
    }

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
