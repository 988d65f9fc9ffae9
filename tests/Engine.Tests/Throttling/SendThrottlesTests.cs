using System.Text;
using Messaging.Contracts.Requests;
using Messaging.Engine.Aws;
using Messaging.Engine.Cluster;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Throttling;

public sealed class SendThrottlesTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static SendThrottles Throttles(TimeProvider time) => new(Options.Create(new ThrottlingOptions
    {
        EmailMaxSendRate = 14,
        SmsMaxSendRate = 5,
        SmsRateByOrigination = new() { ["+15550001111"] = 1, ["ShopCo"] = 0 },
    }), time);

    [Fact]
    public async Task Each_configured_origination_identity_has_its_own_SMS_throttle_and_the_rest_share_the_default()
    {
        await using var throttles = Throttles(TimeProvider.System);

        Assert.Equal(14, throttles.For(Channel.Email, "+15550001111").Limit);
        Assert.Equal(1, throttles.For(Channel.Sms, "+15550001111").Limit);
        Assert.Equal(double.PositiveInfinity, throttles.For(Channel.Sms, "ShopCo").Limit);
        Assert.Same(throttles.Sms, throttles.For(Channel.Sms, "+15559999999"));
        Assert.Same(throttles.Sms, throttles.For(Channel.Sms, null));
        Assert.Equal(5, throttles.Sms.Limit);
    }

    [Fact]
    public async Task The_rate_handler_holds_an_SMS_from_a_busy_identity_but_lets_another_identity_through()
    {
        var time = new ManualTimeProvider();
        await using var throttles = Throttles(time);
        using var handler = new ProviderRateHandler(throttles, NoDatabase(), TimeProvider.System, NullLogger<ProviderRateHandler>.Instance) { InnerHandler = new Answering() };
        using var client = new HttpClient(handler);

        await client.SendAsync(SendTextMessage("+15550001111"));
        var second = client.SendAsync(SendTextMessage("+15550001111"));
        await client.SendAsync(SendTextMessage("+15559999999")).WaitAsync(Deadline);

        Assert.False(second.IsCompleted, "a second SMS from a 1/s number went out in the same second");
        time.Advance(TimeSpan.FromSeconds(1.01));
        await second.WaitAsync(Deadline);
    }

    private static HttpRequestMessage SendTextMessage(string origination)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "http://sms.test/")
        {
            Content = new StringContent(
                $$"""{"DestinationPhoneNumber":"+15551230000","MessageBody":"hi","Context":{"OriginationIdentity":"nested, ignored"},"OriginationIdentity":"{{origination}}"}""",
                Encoding.UTF8, "application/x-amz-json-1.0"),
        };
        request.Headers.TryAddWithoutValidation(AwsJsonTransport.TargetHeader, "PinpointSMSVoiceV2.SendTextMessage");
        return request;
    }

    /// <summary>One node alone never asks for a shared send slot: this fails the test if it does.</summary>
    private static ClusterSendSlots NoDatabase() =>
        new(() => throw new InvalidOperationException("A single node asked the database for a send slot."), TimeProvider.System);

    private sealed class Answering : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
    }
}
