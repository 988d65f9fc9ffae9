using Akka.Streams;
using Akka.Streams.TestKit;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Feedback;
using Messaging.Engine.Queues;
using Messaging.Engine.Telemetry;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace Messaging.Engine.Tests.Feedback;

/// <summary>The feedback graph's own rules (drained marks, what is deleted, the drain) against the real local SQS peer.</summary>
public sealed class FeedbackGraphTests : AkkaTestKit, IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortPoll = TimeSpan.FromSeconds(1);
    private readonly ServiceProvider _services;

    public FeedbackGraphTests(LocalAwsPeers peers, ITestOutputHelper output) : base("akka.loglevel = INFO", "feedback-graph", output)
    {
        _services = AwsTestServices.Create(sqs: peers.SqsEndpoint);
    }

    private IAmazonSQS Sqs => _services.GetRequiredService<IAmazonSQS>();

    [Fact]
    public async Task An_empty_receive_is_reported_drained_only_once_what_was_received_before_it_is_recorded()
    {
        var queue = await QueueAsync("drained", TimeSpan.FromSeconds(30));
        await Sqs.SendMessageAsync(queue.QueueUrl, "slow to record");
        var progress = new FeedbackProgress();
        var (graph, receive) = Graph(queue, progress);
        var handling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var deleted = graph.Create(async (_, _) =>
        {
            handling.TrySetResult();
            return await recorded.Task;
        }, CancellationToken.None, CancellationToken.None).RunWith(this.SinkProbe<ReceivedFeedback>(), Sys.Materializer());
        deleted.Request(1);

        await handling.Task.WaitAsync(Deadline);
        // Three receives answered: the second (and third) came back empty while the message was still being recorded.
        await Messaging.Testing.AwaitCondition.UntilAsync(() => Task.FromResult(receive.ReceiveCalls >= 3), Deadline, "two empty receives after the message's");
        Assert.Null(progress.DrainedAt);

        var recordedAt = DateTimeOffset.UtcNow;
        recorded.SetResult(true);
        Assert.Equal("slow to record", (await deleted.ExpectNextAsync(Deadline)).Message.Body);
        await Messaging.Testing.AwaitCondition.UntilAsync(() => Task.FromResult(progress.DrainedAt is not null), Deadline, "the queue is reported drained once the message is recorded");
        Assert.True(progress.DrainedAt < recordedAt, "the mark is the start of an empty receive made while the message was being recorded");
        Assert.Equal(0, await DepthAsync(queue.QueueUrl));
        deleted.Cancel();
    }

    [Fact]
    public async Task A_message_left_hidden_on_the_queue_to_wait_for_its_Sent_does_not_hold_the_drained_mark_back()
    {
        var queue = await QueueAsync("waiting", TimeSpan.FromSeconds(30));
        await Sqs.SendMessageAsync(queue.QueueUrl, "names a provider id not recorded yet");
        var progress = new FeedbackProgress();
        var (graph, _) = Graph(queue, progress);
        var leftAt = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        var deleted = graph.Create(async (message, _) =>
        {
            // As FeedbackSource does for an event awaiting its Sent: hidden for a while, not deleted.
            await Sqs.ChangeMessageVisibilityAsync(queue.QueueUrl, message.ReceiptHandle, 300);
            leftAt.TrySetResult(DateTimeOffset.UtcNow);
            return false;
        }, CancellationToken.None, CancellationToken.None).RunWith(this.SinkProbe<ReceivedFeedback>(), Sys.Materializer());
        deleted.Request(1);

        var left = await leftAt.Task.WaitAsync(Deadline);
        await Messaging.Testing.AwaitCondition.UntilAsync(() => Task.FromResult(progress.DrainedAt > left), Deadline,
            "an empty receive after the message was left for later marks the queue drained");
        // Still on the queue, hidden (the peer counts a hidden message in both of its depth figures).
        Assert.Equal("1", (await Sqs.GetQueueAttributesAsync(queue.QueueUrl, ["ApproximateNumberOfMessagesNotVisible"])).Attributes["ApproximateNumberOfMessagesNotVisible"]);
        await deleted.ExpectNoMsgAsync(TimeSpan.Zero);
        deleted.Cancel();
    }

    [Fact]
    public async Task A_message_that_could_not_be_recorded_stays_on_the_queue_and_comes_back_and_finished_ones_are_deleted()
    {
        var queue = await QueueAsync("again", TimeSpan.FromSeconds(2));
        await Sqs.SendMessageBatchAsync(queue.QueueUrl, [new SendMessageBatchRequestEntry("a", "storage fails once"), new SendMessageBatchRequestEntry("b", "recorded")]);
        var (graph, _) = Graph(queue, new FeedbackProgress());
        var handled = new List<string>();
        var deleted = graph.Create((message, _) =>
        {
            lock (handled)
            {
                handled.Add(message.Body);
                return Task.FromResult(message.Body != "storage fails once" || handled.Count(h => h == message.Body) > 1);
            }
        }, CancellationToken.None, CancellationToken.None).RunWith(this.SinkProbe<ReceivedFeedback>(), Sys.Materializer());
        deleted.Request(2);

        var bodies = new[] { (await deleted.ExpectNextAsync(Deadline)).Message.Body, (await deleted.ExpectNextAsync(Deadline)).Message.Body };

        Assert.Equal(["recorded", "storage fails once"], bodies);
        lock (handled)
        {
            Assert.Equal(["recorded", "storage fails once", "storage fails once"], handled.Order());
        }

        await Messaging.Testing.AwaitCondition.UntilAsync(async () => await DepthAsync(queue.QueueUrl) == 0, Deadline, "both deleted");
        deleted.Cancel();
    }

    [Fact]
    public async Task Shutting_the_receiving_down_lets_what_was_received_finish_and_receives_nothing_more()
    {
        var queue = await QueueAsync("drain", TimeSpan.FromSeconds(5));
        await Sqs.SendMessageAsync(queue.QueueUrl, "in progress at shutdown");
        var (graph, receive) = Graph(queue, new FeedbackProgress());
        var handling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stopReceiving = new CancellationTokenSource();
        var deletedBodies = new List<string>();
        var completion = graph.Create(async (_, _) =>
        {
            handling.TrySetResult();
            return await recorded.Task;
        }, stopReceiving.Token, CancellationToken.None).RunForeach(f => deletedBodies.Add(f.Message.Body), Sys.Materializer());
        await handling.Task.WaitAsync(Deadline);

        await stopReceiving.CancelAsync();
        graph.Receiving.Shutdown();
        await Sqs.SendMessageAsync(queue.QueueUrl, "after shutdown");
        recorded.SetResult(true);
        await completion.WaitAsync(Deadline);

        Assert.Equal(1, receive.Received);
        Assert.Equal(["in progress at shutdown"], deletedBodies);
        // The long poll given up at shutdown may still have taken the later message on the peer: it shows again after
        // its visibility, and the one finished in the drain never does.
        var seen = new List<string>();
        await Messaging.Testing.AwaitCondition.UntilAsync(async () =>
        {
            var answer = await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(queue.QueueUrl) { MaxNumberOfMessages = 10, WaitTimeSeconds = 1 });
            seen.AddRange((answer.Messages ?? []).Select(m => m.Body));
            return seen.Count > 0;
        }, Deadline, "the message sent after shutdown is on the queue");
        Assert.Equal(["after shutdown"], seen);
    }

    private (FeedbackGraph Graph, SqsReceiveSource Receive) Graph(QueueReceiveSettings queue, FeedbackProgress progress)
    {
        var receive = new SqsReceiveSource(Sqs, queue, _services.GetRequiredService<EngineMetrics>(), NullLogger.Instance);
        return (new FeedbackGraph(Sqs, queue, receive, progress, TimeProvider.System, NullLogger.Instance), receive);
    }

    private async Task<QueueReceiveSettings> QueueAsync(string what, TimeSpan visibility)
    {
        var name = $"feedback-{what}-{Guid.NewGuid():N}"[..40];
        var url = (await Sqs.CreateQueueAsync(name)).QueueUrl;
        return new QueueReceiveSettings(name, url, 1, ShortPoll, visibility);
    }

    private async Task<int> DepthAsync(string url)
    {
        var attributes = (await Sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
        return attributes.Values.Sum(int.Parse);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _services.Dispose();
        }

        base.Dispose(disposing);
    }
}
