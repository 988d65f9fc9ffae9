using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Queues;
using Messaging.Engine.Telemetry;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace Messaging.Engine.Tests.Queues;

/// <summary>The SQS stream stages (receive source, delete flow) against the real local SQS peer.</summary>
public sealed class SqsStreamStagesTests : AkkaTestKit, IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortPoll = TimeSpan.FromSeconds(1);
    private readonly ServiceProvider _services;

    public SqsStreamStagesTests(LocalAwsPeers peers, ITestOutputHelper output) : base("akka.loglevel = INFO", "sqs-stages", output)
    {
        _services = AwsTestServices.Create(sqs: peers.SqsEndpoint);
    }

    private IAmazonSQS Sqs => _services.GetRequiredService<IAmazonSQS>();

    private EngineMetrics Metrics => _services.GetRequiredService<EngineMetrics>();

    [Fact]
    public async Task A_FIFO_group_comes_out_of_receive_and_delete_in_the_order_it_was_sent()
    {
        var name = Unique("order") + ".fifo";
        var url = (await Sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name,
            Attributes = new() { ["FifoQueue"] = "true", ["ContentBasedDeduplication"] = "true" },
        })).QueueUrl;
        for (var i = 0; i < 25; i++)
        {
            await Sqs.SendMessageAsync(new SendMessageRequest(url, $"m{i}") { MessageGroupId = "ana" });
        }

        // One receiver: its batches come out in the order SQS gave them (across receivers SQS keeps a group's order by
        // handing none of its messages out while earlier ones are in flight — the local peer does not).
        var receive = new SqsReceiveSource(Sqs, new QueueReceiveSettings(name, url, 1, ShortPoll, TimeSpan.FromSeconds(30)), Metrics, NullLogger.Instance);
        var probe = receive.Create(m => m, CancellationToken.None)
            .Via(SqsDeleteFlow.Create(Sqs, name, url, (Message m) => m, NullLogger.Instance))
            .RunWith(this.SinkProbe<Message>(), Sys.Materializer());

        probe.Request(25);
        var bodies = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            bodies.Add((await probe.ExpectNextAsync(Deadline)).Body);
        }

        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"m{i}"), bodies);
        await Messaging.Testing.AwaitCondition.UntilAsync(async () => await DepthAsync(url) == 0, Deadline, "all 25 deleted");
        probe.Cancel();
    }

    [Fact]
    public async Task Each_message_is_admitted_as_its_batch_arrives_before_downstream_takes_it()
    {
        var name = Unique("admit");
        var url = (await Sqs.CreateQueueAsync(name)).QueueUrl;
        foreach (var batch in Enumerable.Range(0, 30).Chunk(10))
        {
            await Sqs.SendMessageBatchAsync(url, batch.Select(i => new SendMessageBatchRequestEntry($"e{i}", $"m{i}")).ToList());
        }

        var admitted = 0;
        var receive = new SqsReceiveSource(Sqs, new QueueReceiveSettings(name, url, 1, ShortPoll, TimeSpan.FromSeconds(30)), Metrics, NullLogger.Instance);
        var probe = receive.Create(m =>
        {
            Interlocked.Increment(ref admitted);
            return m;
        }, CancellationToken.None).RunWith(this.SinkProbe<Message>(), Sys.Materializer());

        // One taken; the receiver's next batch is received (and admitted: the visibility keeper sees it) meanwhile.
        probe.Request(1);
        await probe.ExpectNextAsync(Deadline);
        await Messaging.Testing.AwaitCondition.UntilAsync(() => Task.FromResult(Volatile.Read(ref admitted) >= 20), Deadline, "the next batch is admitted while waiting");
        Assert.Equal(Volatile.Read(ref admitted), (int)receive.Received);
        probe.Cancel();
    }

    [Fact]
    public async Task A_receiver_whose_receives_fail_restarts_after_a_backoff_and_receives_once_its_queue_exists()
    {
        var name = Unique("later");
        // Where the queue will be: beside another one the peer made (its URLs name the peer's account).
        var beside = (await Sqs.CreateQueueAsync(Unique("beside"))).QueueUrl;
        var url = beside[..(beside.LastIndexOf('/') + 1)] + name;
        var receive = new SqsReceiveSource(Sqs, new QueueReceiveSettings(name, url, 1, ShortPoll, TimeSpan.FromSeconds(30)), Metrics, NullLogger.Instance);
        var probe = receive.Create(m => m, CancellationToken.None).RunWith(this.SinkProbe<Message>(), Sys.Materializer());
        probe.Request(1);

        await Messaging.Testing.AwaitCondition.UntilAsync(() => Task.FromResult(receive.FailedReceives >= 2), Deadline, "the missing queue fails a receive, twice");
        Assert.Equal(url, (await Sqs.CreateQueueAsync(name)).QueueUrl);
        await Sqs.SendMessageAsync(url, "after the failures");

        Assert.Equal("after the failures", (await probe.ExpectNextAsync(Deadline)).Body);
        probe.Cancel();
    }

    [Fact]
    public async Task Deletes_pass_every_message_on_once_tried_a_duplicate_receipt_or_a_stale_one_stops_none_of_the_others()
    {
        var name = Unique("deletes");
        var url = (await Sqs.CreateQueueAsync(name)).QueueUrl;
        foreach (var batch in Enumerable.Range(0, 15).Chunk(10))
        {
            await Sqs.SendMessageBatchAsync(url, batch.Select(i => new SendMessageBatchRequestEntry($"e{i}", $"m{i}")).ToList());
        }

        var received = new Dictionary<string, Message>();
        await Messaging.Testing.AwaitCondition.UntilAsync(async () =>
        {
            var answer = await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 10, WaitTimeSeconds = 1, VisibilityTimeout = 60 });
            foreach (var message in answer.Messages ?? [])
            {
                received[message.MessageId] = message;
            }

            return received.Count == 15;
        }, Deadline, "all 15 received");
        // A second receipt of one message (received again: a duplicate receive), in the same batch as its first.
        var first = received.Values.First();
        await Sqs.ChangeMessageVisibilityAsync(url, first.ReceiptHandle, 0);
        Message? again = null;
        await Messaging.Testing.AwaitCondition.UntilAsync(async () =>
        {
            var answer = await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 1, WaitTimeSeconds = 1, VisibilityTimeout = 60, MessageSystemAttributeNames = ["All"] });
            again = answer.Messages?.FirstOrDefault(m => m.MessageId == first.MessageId);
            return again is not null;
        }, Deadline, "the first message received again");
        var stale = new Message { MessageId = "not-a-message", ReceiptHandle = "not-a-receipt", Body = "stale" };
        // And a receipt SQS does not know, among the others.
        List<Message> input = [first, again!, .. received.Values.Skip(1), stale];

        var output = await Source.From(input)
            .Via(SqsDeleteFlow.Create(Sqs, name, url, (Message m) => m, NullLogger.Instance))
            .RunWith(Sink.Seq<Message>(), Sys.Materializer());

        Assert.Equal(input.Count, output.Count);
        Assert.Equal(0, await DepthAsync(url));
    }

    [Fact]
    public async Task Without_a_long_poll_a_receiver_pauses_after_empty_answers_longer_each_time_and_not_after_messages()
    {
        var name = Unique("pace");
        var url = (await Sqs.CreateQueueAsync(name)).QueueUrl;
        var time = new TimerCountingTimeProvider();
        var watch = new ReceiveStarts(time);
        var receive = new SqsReceiveSource(Sqs, new QueueReceiveSettings(name, url, 1, TimeSpan.Zero, TimeSpan.FromSeconds(30)), Metrics, NullLogger.Instance, time);
        var probe = receive.Create(watch, (m, _) => m, CancellationToken.None).RunWith(this.SinkProbe<Message>(), Sys.Materializer());
        probe.Request(10);

        // The first receive goes at once; each empty answer parks the receiver on a pause of the (fake) clock.
        await ParkedAsync(time, 1);
        Assert.Equal([TimeSpan.Zero], watch.Offsets);
        time.Advance(TimeSpan.FromMilliseconds(24));
        Assert.Single(watch.Offsets);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await ParkedAsync(time, 2);
        time.Advance(TimeSpan.FromMilliseconds(50));
        await ParkedAsync(time, 3);
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(75)], watch.Offsets);

        // A message arrives during the 100 ms pause: the receive after it takes it, and the next one goes at once.
        await Sqs.SendMessageAsync(url, "after a quiet spell");
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal("after a quiet spell", (await probe.ExpectNextAsync(Deadline)).Body);
        await ParkedAsync(time, 4);
        Assert.Equal(
            [TimeSpan.Zero, TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(75), TimeSpan.FromMilliseconds(175), TimeSpan.FromMilliseconds(175)],
            watch.Offsets);
        Assert.Equal(5, receive.ReceiveCalls);
        probe.Cancel();
    }

    /// <summary>Waits (on the real clock, with a deadline) until the receiver has made its <paramref name="pauses"/>th pause.</summary>
    private static Task ParkedAsync(TimerCountingTimeProvider time, int pauses) =>
        Messaging.Testing.AwaitCondition.UntilAsync(() => Task.FromResult(time.TimersCreated >= pauses), Deadline, $"pause {pauses} begins");

    /// <summary>A fake clock that counts the timers made on it: a receiver's pause is one.</summary>
    private sealed class TimerCountingTimeProvider : Microsoft.Extensions.Time.Testing.FakeTimeProvider
    {
        private int _timers;

        public int TimersCreated => Volatile.Read(ref _timers);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _timers);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    /// <summary>When each receive started, on the fake clock, from the first one.</summary>
    private sealed class ReceiveStarts(TimeProvider time) : IReceiveWatch<int>
    {
        private readonly DateTimeOffset _start = time.GetUtcNow();
        private readonly List<TimeSpan> _offsets = [];

        public IReadOnlyList<TimeSpan> Offsets
        {
            get
            {
                lock (_offsets)
                {
                    return [.. _offsets];
                }
            }
        }

        public int Starting()
        {
            lock (_offsets)
            {
                _offsets.Add(time.GetUtcNow() - _start);
                return _offsets.Count;
            }
        }

        public void Answered(int receive, int messages)
        {
        }

        public void Unanswered(int receive)
        {
        }
    }

    private async Task<int> DepthAsync(string url)
    {
        var attributes = (await Sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
        return attributes.Values.Sum(int.Parse);
    }

    private static string Unique(string what) => $"stages-{what}-{Guid.NewGuid():N}"[..40];

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _services.Dispose();
        }

        base.Dispose(disposing);
    }
}
