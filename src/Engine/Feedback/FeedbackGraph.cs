using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Queues;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Feedback;

/// <summary>
/// The feedback queue as one Akka.Streams graph, top to bottom:
/// <code>
///   receive   long polls of ten, one at a time; each message is counted in progress as its batch arrives
///   ── receiving stops here at shutdown (the kill switch) ──
///   handle    read it, record it with its recipient or dead-letter it with the reason, up to ten at once;
///             a message that could not be recorded stays on the queue and comes back
///   delete    the finished ones, ten per DeleteMessageBatch
/// </code>
/// An empty receive is reported to <see cref="FeedbackProgress"/> once nothing received before it is still being handled
/// (<see cref="FeedbackInProgress"/>). The graph starts again after a backoff should a stage fail.
/// </summary>
internal sealed partial class FeedbackGraph(
    IAmazonSQS sqs, QueueReceiveSettings queue, SqsReceiveSource receive, FeedbackProgress progress, TimeProvider timeProvider, ILogger logger)
{
    // Handling asks recipient entities and storage; ten at once keeps one receive's batch moving without a backlog of asks.
    private const int HandledAtOnce = 10;

    private static readonly RestartSettings GraphRestarts = RestartSettings.Create(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2);

    /// <summary>Receiving stops when this is shut down; what was received is handled to its end.</summary>
    public SharedKillSwitch Receiving { get; } = KillSwitches.Shared("feedback-receiving");

    /// <summary>Starts the graph; the task completes once receiving has stopped and every message received was handled.</summary>
    /// <param name="handle">True when the message is finished with (recorded, ignored or dead-lettered) and may be deleted.</param>
    /// <param name="stopReceiving">Ends the long poll in progress at shutdown.</param>
    /// <param name="abandon">Given to <paramref name="handle"/>: fires when shutdown gives up on the messages still being handled.</param>
    public Task Run(Func<Message, CancellationToken, Task<bool>> handle, IMaterializer materializer, CancellationToken stopReceiving, CancellationToken abandon) =>
        Create(handle, stopReceiving, abandon).RunWith(Sink.Ignore<ReceivedFeedback>(), materializer);

    /// <summary>The graph as a source of the messages it deleted (see <see cref="Run"/>).</summary>
    public Source<ReceivedFeedback, NotUsed> Create(Func<Message, CancellationToken, Task<bool>> handle, CancellationToken stopReceiving, CancellationToken abandon) =>
        RestartSource.OnFailuresWithBackoff(() => Feedback(handle, stopReceiving, abandon), GraphRestarts);

    private Source<ReceivedFeedback, NotUsed> Feedback(Func<Message, CancellationToken, Task<bool>> handle, CancellationToken stopReceiving, CancellationToken abandon)
    {
        var inProgress = new FeedbackInProgress(progress, timeProvider);
        return receive.Create(inProgress, (message, receivedBy) => new ReceivedFeedback(message, receivedBy), stopReceiving)
            .Via(Receiving.Flow<ReceivedFeedback>())
            .SelectAsyncUnordered(HandledAtOnce, async feedback => (feedback, finished: await HandleAsync(feedback, handle, inProgress, abandon).ConfigureAwait(false)))
            .Where(handled => handled.finished)
            .Select(handled => handled.feedback)
            .Via(SqsDeleteFlow.Create(sqs, queue.QueueName, queue.QueueUrl, (ReceivedFeedback f) => f.Message, logger));
    }

    private async Task<bool> HandleAsync(ReceivedFeedback feedback, Func<Message, CancellationToken, Task<bool>> handle, FeedbackInProgress inProgress, CancellationToken abandon)
    {
        try
        {
            return await handle(feedback.Message, abandon).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            LogAbandoned(feedback.Message.MessageId);
            return false;
        }
        catch (Exception e)
        {
            LogHandlingFailed(e, feedback.Message.MessageId);
            return false;
        }
        finally
        {
            inProgress.Finished(feedback.ReceivedBy);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Feedback message {SqsMessageId} was still being recorded when shutdown ended; it stays on the queue and comes back")]
    private partial void LogAbandoned(string sqsMessageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling feedback message {SqsMessageId} failed; it stays on the queue and comes back")]
    private partial void LogHandlingFailed(Exception exception, string sqsMessageId);
}
