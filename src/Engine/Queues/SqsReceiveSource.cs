using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Telemetry;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Queues;

/// <summary>
/// One queue as an Akka.Streams source: several long-poll receivers, merged, each asking SQS for the next batch of ten
/// only once downstream has taken its last one — so what is received but not yet worked on is bounded by the
/// receivers (two batches each), and a full pipeline stops receiving.
/// </summary>
/// <remarks>
/// A receive that fails is logged with its classification and fails only its receiver's inner source, which
/// <see cref="RestartSource"/> starts again after a backoff (100 ms doubling to 10 s): the batch that receiver handed
/// out before is already downstream, so a failure never drops a received message. An empty answer (the local peer's
/// idle long poll has no body at all) is a batch of none. The caller's token ends the long polls at shutdown.
/// Without a long poll (<see cref="QueueReceiveSettings.WaitTime"/> zero) an empty answer comes back at once, so a
/// receiver then pauses before it asks again — 25 ms, doubling to 1 s, none again after an answer with messages —
/// rather than ask an idle queue as fast as SQS answers (each empty receive is billed, and costs the node CPU).
/// </remarks>
internal sealed partial class SqsReceiveSource(
    IAmazonSQS sqs, QueueReceiveSettings settings, EngineMetrics metrics, ILogger logger, TimeProvider? time = null)
{
    private static readonly RestartSettings ReceiverRestarts =
        RestartSettings.Create(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), 0.2);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private long _received;
    private long _receiveCalls;
    private long _failedReceives;

    /// <summary>Messages received since start (a duplicate receive counts twice).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>ReceiveMessage calls made since start, empty and failed ones included (SQS bills each).</summary>
    public long ReceiveCalls => Interlocked.Read(ref _receiveCalls);

    /// <summary>Receive calls that failed (each followed by its receiver's backoff) since start.</summary>
    public long FailedReceives => Interlocked.Read(ref _failedReceives);

    /// <summary>
    /// The messages as they arrive. <paramref name="admit"/> runs for each message as soon as its batch is received (so
    /// the caller can count it as in flight, e.g. to extend its visibility, before it waits in any buffer).
    /// </summary>
    public Source<T, NotUsed> Create<T>(Func<Message, T> admit, CancellationToken stopping) =>
        Create(UnwatchedReceives.Instance, (message, _) => admit(message), stopping);

    /// <summary>
    /// As <see cref="Create{T}(Func{Message, T}, CancellationToken)"/>, and each receive call is told to
    /// <paramref name="watch"/>: its mark is taken just before the call, its messages are admitted with that mark, and
    /// the answer (or its absence) is reported after they all were.
    /// </summary>
    public Source<T, NotUsed> Create<T, TMark>(IReceiveWatch<TMark> watch, Func<Message, TMark, T> admit, CancellationToken stopping) =>
        Source.From(Enumerable.Range(0, settings.Receivers))
            .MergeMany(settings.Receivers, _ => Receiver(watch, admit, stopping));

    private Source<T, NotUsed> Receiver<T, TMark>(IReceiveWatch<TMark> watch, Func<Message, TMark, T> admit, CancellationToken stopping)
    {
        var pace = new EmptyAnswerPace(pausing: settings.WaitTime == TimeSpan.Zero);
        return RestartSource.OnFailuresWithBackoff(
                // Completes (and is not restarted) once stopping: a receiver asks no more after that.
                () => Source.Repeat(NotUsed.Instance).TakeWhile(_ => !stopping.IsCancellationRequested).SelectAsync(1, _ => ReceiveBatchAsync(pace, watch, admit, stopping)),
                ReceiverRestarts)
            .SelectMany(batch => batch);
    }

    private async Task<IReadOnlyList<T>> ReceiveBatchAsync<T, TMark>(
        EmptyAnswerPace pace, IReceiveWatch<TMark> watch, Func<Message, TMark, T> admit, CancellationToken stopping)
    {
        if (pace.Pause > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(pace.Pause, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return [];
            }
        }

        if (stopping.IsCancellationRequested)
        {
            return [];
        }

        var request = SqsMessageViews.ReceiveAll(settings.QueueUrl, SqsMessageViews.MaxBatchSize, settings.WaitTime, settings.VisibilityTimeout);
        var mark = watch.Starting();
        var answered = false;
        try
        {
            AwsResult<ReceiveMessageResponse> answer;
            try
            {
                answer = await SqsErrors.TryAsync(ct => sqs.ReceiveMessageAsync(request, ct), stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Shutting down: the long poll was given up (a message it had taken reappears after its visibility timeout).
                return [];
            }
            finally
            {
                Interlocked.Increment(ref _receiveCalls);
                metrics.ReceiveCalled(settings.QueueName);
            }

            if (!answer.TryGetValue(out var response, out var error))
            {
                Interlocked.Increment(ref _failedReceives);
                LogReceiveFailed(settings.QueueName, error.ToString());
                throw new SqsReceiveException($"Receiving from {settings.QueueName} failed: {error}");
            }

            var messages = response.Messages ?? [];
            pace.Answered(messages.Count);
            if (messages.Count > 0 && stopping.IsCancellationRequested)
            {
                // Answered just as receiving stopped: nobody downstream will take them; visible again at once.
                await GiveBackAsync(messages).ConfigureAwait(false);
                return [];
            }

            Interlocked.Add(ref _received, messages.Count);
            var admitted = messages.Count == 0 ? [] : messages.ConvertAll(m => admit(m, mark));
            answered = true;
            watch.Answered(mark, admitted.Count);
            return admitted;
        }
        finally
        {
            if (!answered)
            {
                watch.Unanswered(mark);
            }
        }
    }

    /// <summary>
    /// One receiver's pause before its next receive: after an empty answer to a receive that did not wait, 25 ms,
    /// doubling to 1 s; none after an answer with messages, and never when receives long-poll.
    /// </summary>
    private sealed class EmptyAnswerPace(bool pausing)
    {
        private static readonly TimeSpan First = TimeSpan.FromMilliseconds(25);
        private static readonly TimeSpan Longest = TimeSpan.FromSeconds(1);

        public TimeSpan Pause { get; private set; }

        public void Answered(int messages) =>
            Pause = !pausing || messages > 0 ? TimeSpan.Zero
                : Pause == TimeSpan.Zero ? First
                : Pause * 2 < Longest ? Pause * 2 : Longest;
    }

    /// <summary>The watch of a consumer that needs none.</summary>
    private sealed class UnwatchedReceives : IReceiveWatch<NotUsed>
    {
        public static readonly UnwatchedReceives Instance = new();

        public NotUsed Starting() => NotUsed.Instance;

        public void Answered(NotUsed receive, int messages)
        {
        }

        public void Unanswered(NotUsed receive)
        {
        }
    }

    private async Task GiveBackAsync(List<Message> messages)
    {
        var entries = messages.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry($"g{i}", m.ReceiptHandle) { VisibilityTimeout = 0 }).ToList();
        var released = await SqsErrors.TryAsync(ct => sqs.ChangeMessageVisibilityBatchAsync(settings.QueueUrl, entries, ct), CancellationToken.None)
            .ConfigureAwait(false);
        if (!released.IsSuccess)
        {
            LogGiveBackFailed(messages.Count, settings.QueueName, released.Error!.ToString());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not give back {Count} message(s) received from {Queue} as receiving stopped ({Reason}); they reappear when their visibility timeout ends")]
    private partial void LogGiveBackFailed(int count, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from {Queue} failed ({Reason}); its receiver starts again after a backoff")]
    private partial void LogReceiveFailed(string queue, string reason);
}
