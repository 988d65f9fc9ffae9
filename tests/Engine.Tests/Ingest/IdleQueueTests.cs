using Messaging.Engine.Ingest;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>An idle request queue on the real local SQS peer, which answers an empty long poll with no body at all.</summary>
public sealed class IdleQueueTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_idle_queue_is_long_polled_again_and_again_without_a_failure_then_a_request_arrives_and_is_sent()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>
        {
            ["Engine:Ingest:RequestQueues:0:Pollers"] = "1",
        });
        var source = engine.Services.GetRequiredService<RequestIngest>();

        await AwaitCondition.UntilAsync(() => Task.FromResult(source.ReceiveCalls >= 3), Deadline, "three empty long polls");
        await engine.EnqueueAsync([EngineUnderTest.EmailRequest("after-quiet", engine.Address("ana"))]);
        await AwaitCondition.UntilAsync(async () => (await engine.SentEmailsAsync(peers)).Count == 1, Deadline, "the request is sent");

        Assert.Equal(1, source.Received);
        Assert.Equal(0, source.FailedReceives);
    }
}
