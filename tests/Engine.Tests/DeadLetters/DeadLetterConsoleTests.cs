using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.DeadLetters;

/// <summary>
/// Walks of a dead-letter queue hide what they receive for a moment; a redrive must still find the message its operator
/// chose while the dashboard peeks, or while a walk on another node holds it.
/// </summary>
public sealed class DeadLetterConsoleTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    [Fact]
    public async Task Chosen_dead_letters_are_redriven_while_peeks_run_beside_each_redrive()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var chosen = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            chosen.Add(await DeadLetterAsync(engine, $"chosen-while-peeking-{i}"));
        }

        var console = engine.Services.GetRequiredService<DeadLetterConsole>();
        using var stop = new CancellationTokenSource();
        var peeks = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var count = 0;
            while (!stop.IsCancellationRequested)
            {
                Assert.True((await console.PeekAsync(DeadLetterQueueKind.Requests, 10, default)).IsSuccess);
                count++;
            }

            return count;
        })).ToList();
        var done = new List<string>();
        var notFound = new List<string>();
        foreach (var id in chosen)
        {
            var redriven = (await console.RedriveAsync(DeadLetterQueueKind.Requests, [id], "ops@example.com", default)).Value;
            done.AddRange(redriven.Done);
            notFound.AddRange(redriven.NotFound);
        }

        await stop.CancelAsync();
        var peeked = await Task.WhenAll(peeks);

        Assert.Empty(notFound);
        Assert.Equal(chosen, done);
        Assert.All(peeked, count => Assert.True(count > 0));
        Assert.Empty((await console.PeekAsync(DeadLetterQueueKind.Requests, 10, default)).Value);
    }

    [Fact]
    public async Task A_chosen_dead_letter_hidden_by_a_walk_elsewhere_is_redriven_once_that_walk_lets_it_go()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var chosen = await DeadLetterAsync(engine, "chosen-while-hidden");
        var console = engine.Services.GetRequiredService<DeadLetterConsole>();
        // Another node's peek has it for two seconds.
        var held = await engine.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = engine.DeadLetterQueueUrl, MaxNumberOfMessages = 10, VisibilityTimeout = 2,
        });
        Assert.Equal(chosen, Assert.Single(held.Messages).MessageId);

        var redriven = (await console.RedriveAsync(DeadLetterQueueKind.Requests, [chosen], "ops@example.com", default)).Value;

        Assert.Equal([chosen], redriven.Done);
        Assert.Empty(redriven.NotFound);
    }

    [Fact]
    public async Task A_chosen_message_that_is_not_on_the_queue_is_reported_not_found()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var present = await DeadLetterAsync(engine, "present");
        var console = engine.Services.GetRequiredService<DeadLetterConsole>();

        var purged = (await console.PurgeAsync(DeadLetterQueueKind.Requests, ["no-such-message"], default)).Value;

        Assert.Empty(purged.Done);
        Assert.Equal(["no-such-message"], purged.NotFound);
        Assert.Equal(present, Assert.Single((await console.PeekAsync(DeadLetterQueueKind.Requests, 10, default)).Value).SqsMessageId);
    }

    private static async Task<string> DeadLetterAsync(EngineUnderTest engine, string messageId) =>
        (await engine.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = engine.DeadLetterQueueUrl,
            MessageBody = EngineUnderTest.EmailRequest(messageId, engine.Address(messageId)),
            MessageAttributes = new Dictionary<string, MessageAttributeValue>(StringComparer.Ordinal)
            {
                [DeadLetterWriter.SourceQueueAttribute] = MessageAttributeValue.String($"{engine.Prefix}-requests"),
            },
        })).MessageId;
}
