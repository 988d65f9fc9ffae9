using Akka.Actor;
using Messaging.Contracts.Requests;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace Messaging.Engine.Tests.Recipients;

/// <summary>A message to a recipient that Akka drops is answered at once, so its request is put back without waiting out its ask.</summary>
public sealed class DroppedRecipientMessagesTests(ITestOutputHelper output) : AkkaTestKit("akka.loglevel = WARNING", "dropped", output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly RecipientKey _ana = RecipientKey.For(Channel.Email, "ana@example.com");

    [Fact]
    public async Task A_command_to_an_entity_that_is_gone_is_answered_a_failure_and_a_message_without_an_asker_is_left_alone()
    {
        Sys.ActorOf(Props.Create<DroppedRecipientMessages>(), "dropped-recipient-messages");
        var gone = CreateTestProbe();
        Watch(gone.Ref);
        Sys.Stop(gone.Ref);
        await ExpectTerminatedAsync(gone.Ref, Deadline);
        var asker = CreateTestProbe();

        gone.Ref.Tell(new AbandonDelivery(_ana, "m0"), asker.Ref);
        gone.Ref.Tell(new QueryRecipient(_ana), ActorRefs.NoSender);
        gone.Ref.Tell(new Deliver(_ana, new MessageRequest { MessageId = "m1", Channel = Channel.Email, To = "ana@example.com" }, 0), asker.Ref);

        // Only the Deliver had someone waiting for its answer: the abandon, dropped first, is not answered (else its
        // answer would come first, in order from this sender). The Deliver is put back, not failed.
        var putBack = await asker.ExpectMsgAsync<DeliveryOutcome.RetryLater>(Deadline);
        Assert.Contains("Deliver(m1 to", putBack.Reason, StringComparison.Ordinal);
    }
}
