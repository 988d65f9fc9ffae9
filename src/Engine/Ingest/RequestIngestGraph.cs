using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Messaging.Engine.Queues;
using Messaging.Engine.Telemetry;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Ingest;

/// <summary>
/// Ingest as one Akka.Streams graph. For each request queue, top to bottom:
/// <code>
///   receive   long polls of ten, Receivers at a time; each request enters the in-flight view as its batch arrives
///   ── receiving stops here at shutdown (the kill switch) ──
///   decide    ask the recipient's entity through the shard region, up to MaxInFlight at once, begun in receive order
///             (so a FIFO group's requests reach their entity in the order SQS gave them)
///   settle    hide, copy or dead-letter it on SQS, as decided
///   delete    the finished ones, ten per DeleteMessageBatch
///   done      out of the in-flight view
/// </code>
/// The queues' streams merge into one completion. Beside them runs the visibility keeper: a tick that extends what is
/// still being worked on. Priorities act where requests compete, at the send rate (a request carries its queue's
/// priority to its entity); each queue has its own in-flight bound, so a full low-priority queue never takes the place
/// of a high-priority request.
/// </summary>
internal sealed partial class RequestIngestGraph(
    IReadOnlyList<(RequestQueue Queue, SqsReceiveSource Receive)> queues,
    RequestProcessor processor,
    RequestSettler settler,
    InFlightRequests inFlight,
    IngestOptions options,
    TimeProvider timeProvider,
    ILogger logger,
    Amazon.SQS.IAmazonSQS sqs,
    EngineMetrics metrics)
{
    /// <summary>Receiving stops when this is shut down; what was received flows on to its end.</summary>
    public SharedKillSwitch Receiving { get; } = KillSwitches.Shared("request-receiving");

    /// <summary>The keeper stops when this is shut down (after the drain).</summary>
    public SharedKillSwitch Keeping { get; } = KillSwitches.Shared("visibility-keeper");

    /// <summary>Starts the graph; the task completes when every queue's stream has finished (after a drain).</summary>
    /// <param name="stopReceiving">Ends the long polls in progress at shutdown.</param>
    /// <param name="abandon">Fires when shutdown gives up on the requests still being decided.</param>
    public Task Run(IMaterializer materializer, CancellationToken stopReceiving, CancellationToken abandon)
    {
        Source.Tick(KeeperInterval(options), KeeperInterval(options), NotUsed.Instance)
            .Via(Keeping.Flow<NotUsed>())
            .SelectAsync(1, _ => ExtendVisibilityAsync())
            .RunWith(Sink.Ignore<NotUsed>(), materializer);

        return queues
            .Select(q => Requests(q.Queue, q.Receive, stopReceiving, abandon))
            .Aggregate((merged, next) => merged.Merge(next))
            .RunWith(Sink.Ignore<ReceivedRequest>(), materializer);
    }

    private Source<ReceivedRequest, NotUsed> Requests(RequestQueue queue, SqsReceiveSource receive, CancellationToken stopReceiving, CancellationToken abandon) =>
        receive.Create(message =>
            {
                metrics.RequestsReceived(queue.Name, 1);
                return inFlight.Admit(queue, message, timeProvider.GetUtcNow(), options.VisibilityTimeout);
            }, stopReceiving)
            .Via(Receiving.Flow<ReceivedRequest>())
            .SelectAsyncUnordered(queue.MaxInFlight, async request => (request, delete: await DecideAndSettleAsync(request, abandon).ConfigureAwait(false)))
            .Where(settled => settled.delete)
            .Select(settled => settled.request)
            .Via(SqsDeleteFlow.Create(sqs, queue.Name, queue.Url, (ReceivedRequest r) => r.Message, logger))
            .Select(request =>
            {
                inFlight.Remove(request);
                return request;
            });

    /// <summary>Decides the request, then settles it on SQS: true when it is to be deleted. Never throws.</summary>
    private async Task<bool> DecideAndSettleAsync(ReceivedRequest request, CancellationToken abandon)
    {
        var settlement = await DecideAsync(request, abandon).ConfigureAwait(false);
        // No extension starts from here; one on its way is awaited, so it cannot undo a hide.
        await request.BeginSettling().ConfigureAwait(false);
        return await SettleAsync(request, settlement).ConfigureAwait(false);
    }

    private async Task<RequestSettlement> DecideAsync(ReceivedRequest request, CancellationToken abandon)
    {
        if (!request.TryStart())
        {
            // Shutdown gave it back before its work began; it is being released.
            return new RequestSettlement.Leave();
        }

        try
        {
            return await processor.DecideAsync(request, abandon).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A fault in the engine itself, not in the request: it reappears when its visibility ends and is tried again.
            LogDecisionFailed(e, request.Message.MessageId, request.Queue.Name);
            return new RequestSettlement.Leave();
        }
        finally
        {
            request.MarkDecided();
        }
    }

    private async Task<bool> SettleAsync(ReceivedRequest request, RequestSettlement settlement)
    {
        try
        {
            var delete = await settler.SettleAsync(request, settlement).ConfigureAwait(false);
            if (!delete)
            {
                inFlight.Remove(request);
            }

            return delete;
        }
        catch (Exception e)
        {
            LogSettlementFailed(e, request.Message.MessageId, request.Queue.Name);
            inFlight.Remove(request);
            return false;
        }
    }

    private async Task<NotUsed> ExtendVisibilityAsync()
    {
        try
        {
            var due = inFlight.DueForExtension(timeProvider.GetUtcNow(), options.VisibilityTimeout);
            if (due.Count > 0)
            {
                // Not cancelled by shutdown: the keeper runs until the drain is over.
                await settler.ExtendAsync(due, options.VisibilityTimeout, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // Ticks come at a quarter of the visibility timeout: the next one tries again well before it ends.
            LogExtensionFailed(e);
        }

        return NotUsed.Instance;
    }

    private static TimeSpan KeeperInterval(IngestOptions ingest) =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, ingest.VisibilityTimeout.Ticks / 4));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Extending the visibility of requests in flight failed; trying again at the next tick")]
    private partial void LogExtensionFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Processing SQS message {SqsMessageId} from {Queue} failed; it will reappear and be retried")]
    private partial void LogDecisionFailed(Exception exception, string sqsMessageId, string queue);

    [LoggerMessage(Level = LogLevel.Error, Message = "Settling SQS message {SqsMessageId} from {Queue} failed; it will reappear and be retried")]
    private partial void LogSettlementFailed(Exception exception, string sqsMessageId, string queue);
}
