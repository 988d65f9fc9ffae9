using Amazon.SQS;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Sending;
using Messaging.Engine.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Ingest;

/// <summary>Builds the request processor from the container (it is internal; the source is public).</summary>
public sealed class RequestProcessorFactory(
    RecipientRegion recipients,
    DeadLetterWriter deadLetters,
    IAmazonSQS sqs,
    IOptions<SendingOptions> sending,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory,
    EngineMetrics metrics)
{
    internal RequestProcessor Create() => new(
        recipients, deadLetters, sqs, sending, timeProvider, loggerFactory.CreateLogger<RequestProcessor>(), metrics);
}
