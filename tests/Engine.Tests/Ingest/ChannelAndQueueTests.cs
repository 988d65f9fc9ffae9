using System.Text.Json;
using Messaging.Engine.Ingest;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Messaging.Engine.Recipients.Entities;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>The SMS channel end to end, the email rate from the SES quota, and visibility kept for requests held long.</summary>
public sealed class ChannelAndQueueTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly SmsFixtureServer _sms = new();

    public Task InitializeAsync() => _sms.InitializeAsync();

    public Task DisposeAsync() => _sms.DisposeAsync();

    [Fact]
    public async Task An_sms_request_becomes_a_signed_SendTextMessage_with_the_messageId_as_context_and_an_opt_out_suppresses_the_number()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>
        {
            ["Engine:Aws:SmsEndpoint"] = _sms.Endpoint.ToString(),
            ["Engine:Throttling:SmsMaxSendRate"] = "0",
        });
        _sms.Script(new ScriptedResponse(200, """{"MessageId":"sms-provider-1"}"""));
        _sms.Script(ScriptedResponse.Json10Error(400, "ValidationException", "The destination phone number is opted out.", "DESTINATION_PHONE_NUMBER_OPTED_OUT"));

        await engine.EnqueueAsync(
        [
            """{"schema":"messaging.request.v1","messageId":"sms-1","channel":"sms","to":"+15551230001","content":{"text":"Your code is 1234"}}""",
        ]);
        var journal = engine.Services.GetRequiredService<IJournal>();
        await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync("sms-1", default))?.Status == "sent", Deadline, "the SMS is sent");
        await engine.EnqueueAsync(
        [
            """{"schema":"messaging.request.v1","messageId":"sms-2","channel":"sms","to":"+15551230002","content":{"text":"Sale!"}}""",
        ]);
        await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync("sms-2", default))?.Status == "failed", Deadline, "the opted-out send fails");

        var first = _sms.Received[0];
        Assert.True(first.SignatureValid, "the SendTextMessage was not validly signed");
        using var body = JsonDocument.Parse(first.Body);
        Assert.Equal("+15551230001", body.RootElement.GetProperty("DestinationPhoneNumber").GetString());
        Assert.Equal("Your code is 1234", body.RootElement.GetProperty("MessageBody").GetString());
        Assert.Equal("sms-1", body.RootElement.GetProperty("Context").GetProperty("messageId").GetString());
        Assert.Equal("sms-provider-1", (await journal.FindMessageAsync("sms-1", default))!.ProviderMessageId);
        var optedOut = await engine.AskRecipientAsync<RecipientSnapshot>(new QueryRecipient(RecipientKey.For(Contracts.Requests.Channel.Sms, "+15551230002")));
        Assert.Equal(Messaging.Engine.Recipients.Events.SuppressionReason.OptedOut, optedOut.State.Suppression?.Reason);
    }

    [Fact]
    public async Task Without_a_configured_rate_the_email_limit_is_the_SES_accounts_MaxSendRate()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?> { ["Engine:Throttling:EmailMaxSendRate"] = null });

        var throttle = engine.Services.GetRequiredService<SendThrottles>().Email;
        await AwaitCondition.UntilAsync(() => Task.FromResult(throttle.Limit == peers.SesMaxSendRate), Deadline, "the limit follows GetAccount");
        Assert.Equal(peers.SesMaxSendRate, engine.Services.GetRequiredService<SesQuotaMonitor>().Quota?.MaxSendRate);
    }

    [Fact]
    public async Task Requests_held_longer_than_their_visibility_timeout_are_extended_and_never_received_twice()
    {
        // 20 requests at 2/s take 10 s; each is hidden for only 5 s unless the keeper extends it.
        await using var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>
        {
            ["Engine:Throttling:EmailMaxSendRate"] = "2",
            ["Engine:Ingest:VisibilityTimeout"] = "00:00:05",
        });

        await engine.EnqueueAsync(Enumerable.Range(0, 20).Select(i => EngineUnderTest.EmailRequest($"held-{i}", engine.Address($"user{i}"))));
        await AwaitCondition.UntilAsync(async () => (await engine.SentEmailsAsync(peers)).Count == 20, Deadline, "all 20 are sent");
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0, Deadline, "the queue empties");

        Assert.Equal(20, engine.Services.GetRequiredService<RequestIngest>().Received);
    }
}
