using System.Net;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Persistence;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>The sending pipeline end to end: requests on the real SQS peer, emails in the real SES peer.</summary>
public sealed class SendingPipelineTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private static string CorrelationId(JsonElement email) =>
        email.GetProperty("headers").EnumerateArray().Single(h => h.GetProperty("name").GetString() == "X-Correlation-ID")
            .GetProperty("value").GetString()!;

    private async Task WaitForEmailsAsync(EngineUnderTest engine, int count, string because) =>
        await AwaitCondition.UntilAsync(async () => (await engine.SentEmailsAsync(peers)).Count >= count, Deadline, because);

    private static async Task WaitForEmptyQueueAsync(EngineUnderTest engine) =>
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0, Deadline, "the request queue empties");

    [Fact]
    public async Task A_thousand_requests_to_a_thousand_recipients_become_a_thousand_emails_and_sent_records()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);

        await engine.EnqueueAsync(Enumerable.Range(0, 1_000).Select(i => EngineUnderTest.EmailRequest($"bulk-{i}", engine.Address($"user{i}"))));

        await WaitForEmailsAsync(engine, 1_000, "1,000 emails reach the SES peer");
        await WaitForEmptyQueueAsync(engine);
        var emails = await engine.SentEmailsAsync(peers);
        Assert.Equal(1_000, emails.Count);
        Assert.Equal(1_000, emails.Select(CorrelationId).Distinct().Count());
        var journal = engine.Services.GetRequiredService<IJournal>();
        for (var i = 0; i < 1_000; i++)
        {
            var record = await journal.FindMessageAsync($"bulk-{i}", default);
            Assert.True(record is { Status: "sent", ProviderMessageId: not null }, $"bulk-{i}: {record}");
        }

        Assert.Empty(await engine.TakeDeadLettersAsync());
    }

    [Fact]
    public async Task The_same_messageId_sent_three_times_at_once_and_again_later_is_one_email()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var request = EngineUnderTest.EmailRequest("order-1234-shipped", engine.Address("ana"));

        await engine.EnqueueAsync([request, request, request]);
        await WaitForEmailsAsync(engine, 1, "the first copy is sent");
        await WaitForEmptyQueueAsync(engine);
        await engine.EnqueueAsync([request]);
        await WaitForEmptyQueueAsync(engine);

        var email = Assert.Single(await engine.SentEmailsAsync(peers));
        Assert.Equal("order-1234-shipped", CorrelationId(email));
    }

    [Fact]
    public async Task Malformed_json_a_wrong_schema_and_a_bad_address_go_to_the_dead_letter_queue_with_reasons_and_others_are_sent()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);

        await engine.EnqueueAsync(
        [
            "{ this is not json",
            """{"schema":"messaging.request.v9","messageId":"wrong-schema","channel":"email","to":"a@x.test","content":{"subject":"s","text":"t"}}""",
            """{"schema":"messaging.request.v1","messageId":"bad-address","channel":"email","to":"not an address","content":{"subject":"s","text":"t"}}""",
            EngineUnderTest.EmailRequest("fine", engine.Address("fine")),
        ]);

        await WaitForEmailsAsync(engine, 1, "the valid request is sent");
        var dead = new List<Message>();
        await AwaitCondition.UntilAsync(async () =>
        {
            dead.AddRange(await engine.TakeDeadLettersAsync());
            return dead.Count >= 3;
        }, Deadline, "three dead letters");
        var errors = dead.ToDictionary(m => m.Body, m => m.StringAttribute(DeadLetterWriter.ErrorAttribute)!);
        Assert.Contains("not valid JSON", errors["{ this is not json"], StringComparison.OrdinalIgnoreCase);
        Assert.Contains("schema", errors.Single(e => e.Key.Contains("wrong-schema")).Value);
        Assert.Contains("$.to", errors.Single(e => e.Key.Contains("bad-address")).Value);
        Assert.All(dead, m => Assert.Equal($"{engine.Prefix}-requests", m.StringAttribute(DeadLetterWriter.SourceQueueAttribute)));
        Assert.Equal("fine", CorrelationId(Assert.Single(await engine.SentEmailsAsync(peers))));
    }

    [Fact]
    public async Task A_recipient_whose_sends_fail_with_500_is_retried_then_dead_lettered_after_three_attempts_and_others_are_sent()
    {
        var faults = new ProviderFaults
        {
            Rule = body => body.Contains("broken@", StringComparison.Ordinal)
                ? ProviderFaults.SesError(HttpStatusCode.InternalServerError, "InternalFailure", "Internal failure")
                : null,
        };
        await using var engine = await EngineUnderTest.StartAsync(peers, providerHandler: faults.CreateHandler);

        await engine.EnqueueAsync(
        [
            EngineUnderTest.EmailRequest("to-broken", engine.Address("broken")),
            .. Enumerable.Range(0, 20).Select(i => EngineUnderTest.EmailRequest($"ok-{i}", engine.Address($"ok{i}"))),
        ]);

        await WaitForEmailsAsync(engine, 20, "the 20 healthy recipients are sent to");
        var dead = new List<Message>();
        await AwaitCondition.UntilAsync(async () =>
        {
            dead.AddRange(await engine.TakeDeadLettersAsync());
            return dead.Count >= 1;
        }, Deadline, "the broken recipient's request is dead-lettered");
        var letter = Assert.Single(dead);
        Assert.Equal("3", letter.MessageAttributes![DeadLetterWriter.AttemptsAttribute].StringValue);
        Assert.Contains("InternalFailure", letter.StringAttribute(DeadLetterWriter.ErrorAttribute));
        Assert.Equal("to-broken", letter.StringAttribute(DeadLetterWriter.MessageIdAttribute));
        Assert.NotNull(letter.StringAttribute(DeadLetterWriter.FirstFailureAttribute));
        Assert.Equal(3, faults.Injected);
        Assert.Equal("deadLettered", (await engine.Services.GetRequiredService<IJournal>().FindMessageAsync("to-broken", default))!.Status);
        await WaitForEmptyQueueAsync(engine);
        Assert.Equal(20, (await engine.SentEmailsAsync(peers)).Count);
    }

    [Fact]
    public async Task While_the_provider_answers_429_the_engine_slows_down_and_every_message_is_sent_none_dead_lettered()
    {
        var throttledLeft = 40;
        var faults = new ProviderFaults
        {
            Rule = _ => Interlocked.Decrement(ref throttledLeft) >= 0
                ? ProviderFaults.SesError(HttpStatusCode.TooManyRequests, "TooManyRequestsException", "Maximum sending rate exceeded.")
                : null,
        };
        await using var engine = await EngineUnderTest.StartAsync(peers,
            new Dictionary<string, string?> { ["Engine:Throttling:EmailMaxSendRate"] = "200" }, faults.CreateHandler);

        await engine.EnqueueAsync(Enumerable.Range(0, 60).Select(i => EngineUnderTest.EmailRequest($"t-{i}", engine.Address($"user{i}"))));

        await WaitForEmailsAsync(engine, 60, "every message is sent in the end");
        await WaitForEmptyQueueAsync(engine);
        Assert.Equal(60, (await engine.SentEmailsAsync(peers)).Select(CorrelationId).Distinct().Count());
        Assert.Empty(await engine.TakeDeadLettersAsync());
        var throttle = engine.Services.GetRequiredService<SendThrottles>().Email;
        Assert.True(throttle.ThrottledCount >= 40, $"the throttle heard of {throttle.ThrottledCount} 429s");
    }

    [Fact]
    public async Task Stopping_under_load_gives_unfinished_requests_back_and_a_restarted_engine_sends_each_exactly_once()
    {
        var prefix = $"t{Guid.NewGuid():N}"[..13];
        var directory = Path.Combine(Path.GetTempPath(), $"messaging-engine-{prefix}");
        var slow = new Dictionary<string, string?>
        {
            ["Engine:Throttling:EmailMaxSendRate"] = "10",
            ["Engine:Ingest:ShutdownTimeout"] = "00:00:01",
        };
        await using var first = await EngineUnderTest.StartAsync(peers, slow, directory: directory, prefix: prefix);
        await first.EnqueueAsync(Enumerable.Range(0, 60).Select(i => EngineUnderTest.EmailRequest($"s-{i}", first.Address($"user{i}"))));
        await WaitForEmailsAsync(first, 10, "the first engine is part-way through");

        await first.StopAsync();
        var sentByFirst = (await first.SentEmailsAsync(peers)).Count;
        Assert.InRange(sentByFirst, 10, 59);

        await using var second = await EngineUnderTest.StartAsync(peers, directory: directory, prefix: prefix);
        await WaitForEmailsAsync(second, 60, "the second engine sends the rest");
        await WaitForEmptyQueueAsync(second);
        var emails = await second.SentEmailsAsync(peers);
        Assert.Equal(60, emails.Count);
        Assert.Equal(60, emails.Select(CorrelationId).Distinct().Count());
        Assert.Empty(await second.TakeDeadLettersAsync());
    }

    [Fact]
    public async Task A_FIFO_request_queue_keeps_each_recipients_order_and_dead_letters_to_a_FIFO_twin()
    {
        var prefix = $"t{Guid.NewGuid():N}"[..13];
        var faults = new ProviderFaults();
        // One receiver: SQS hides a FIFO group's later messages while earlier ones are in flight, but the local peer
        // does not, so with several receivers it could hand one group to two of them. What is tested here is the
        // engine's part: a receive's requests reach their actor in order.
        await using var engine = await EngineUnderTest.StartAsync(peers,
            new Dictionary<string, string?>
            {
                ["Engine:Ingest:RequestQueues:0:Name"] = $"{prefix}-requests.fifo",
                ["Engine:Ingest:RequestQueues:0:Pollers"] = "1",
            },
            faults.CreateHandler, prefix: prefix);
        var bodies = Enumerable.Range(0, 30).Select(i => (Recipient: $"r{i % 3}", Id: $"fifo-{i % 3}-{i / 3:D2}")).ToList();

        foreach (var chunk in bodies.Chunk(10))
        {
            var sent = await engine.Sqs.SendMessageBatchAsync(engine.RequestQueueUrl, chunk.Select((b, n) => new SendMessageBatchRequestEntry
            {
                Id = $"e{n}",
                MessageBody = EngineUnderTest.EmailRequest(b.Id, engine.Address(b.Recipient)),
                MessageGroupId = $"email:{engine.Address(b.Recipient)}",
                MessageDeduplicationId = b.Id,
            }).ToList());
            Assert.Empty(sent.Failed ?? []);
        }

        await WaitForEmailsAsync(engine, 30, "all 30 are sent");
        var order = faults.SentOrder;
        for (var r = 0; r < 3; r++)
        {
            var mine = order.Where(id => id.StartsWith($"fifo-{r}-", StringComparison.Ordinal)).ToList();
            Assert.Equal(mine.Order(StringComparer.Ordinal), mine);
        }

        Assert.NotNull((await engine.Sqs.GetQueueUrlAsync($"{prefix}-dlq.fifo")).QueueUrl);
    }
}
