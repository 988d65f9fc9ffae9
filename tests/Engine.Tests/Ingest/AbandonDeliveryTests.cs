using Akka.Actor;
using Akka.Hosting;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Contracts.Requests;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Ingest;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Sending;
using Messaging.Engine.Telemetry;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>
/// The pipeline gives a request back (its token fires while it waits for the entity's answer): it tells the recipient's
/// region to abandon it, a message that reaches the entity on whichever node it lives.
/// </summary>
public sealed class AbandonDeliveryTests(ITestOutputHelper output) : AkkaTestKit("akka.loglevel = INFO", "abandon", output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_request_given_back_while_its_entity_works_on_it_is_abandoned_at_its_entity()
    {
        // The region is a probe: it sees what the pipeline sends and never answers.
        var region = CreateTestProbe();
        await using var aws = AwsTestServices.Create(ses: new Uri("http://127.0.0.1:9"), sms: new Uri("http://127.0.0.1:9"));
        var processor = new RequestProcessor(
            new RecipientRegion(new ServiceCollection().AddSingleton<IRequiredActor<RecipientEntity>>(new FixedRegion(region.Ref)).BuildServiceProvider()),
            aws.GetRequiredService<IOptions<SendingOptions>>(), TimeProvider.System, NullLogger<RequestProcessor>.Instance, aws.GetRequiredService<EngineMetrics>());
        var queue = new RequestQueue(new RequestQueueOptions { Name = "requests" }, "http://127.0.0.1:9/000000000000/requests");
        var message = new Message
        {
            MessageId = "sqs-1", ReceiptHandle = "receipt-1", Body = EngineUnderTest.EmailRequest("m1", "Ana@Example.com"),
            Attributes = new Dictionary<string, string> { ["ApproximateReceiveCount"] = "1" },
        };
        using var shutdown = new CancellationTokenSource();

        var deciding = processor.DecideAsync(new Messaging.Engine.Ingest.ReceivedRequest(queue, message, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5)), shutdown.Token);
        var deliver = await region.ExpectMsgAsync<Deliver>(Deadline);
        await shutdown.CancelAsync();

        // To the same entity as the request (the key the region routes by) and naming the message.
        Assert.Equal(new AbandonDelivery(deliver.Key, "m1"), await region.ExpectMsgAsync<AbandonDelivery>(Deadline));
        Assert.Equal(RecipientKey.For(Channel.Email, "ana@example.com"), deliver.Key);
        // Given back to its queue at once, not counted as an attempt.
        Assert.IsType<RequestSettlement.Release>(await deciding);
    }

    private sealed class FixedRegion(IActorRef region) : IRequiredActor<RecipientEntity>
    {
        public IActorRef ActorRef => region;

        public Task<IActorRef> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(region);
    }
}
