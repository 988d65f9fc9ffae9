using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Engine.Aws.Sms;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.SmsPeer;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Aws.Sms;

/// <summary>The local SMS peer as run-local.sh runs it: texts listed on its store, their events published to the feedback queue.</summary>
public sealed class SmsPeerTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IAsyncLifetime
{
    private readonly string _feedbackQueue = $"sms-peer-{Guid.NewGuid():N}"[..24];
    private SqsFeedbackPublisher _publisher = null!;
    private SmsPeerServer _peer = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _publisher = new SqsFeedbackPublisher(peers.SqsEndpoint, _feedbackQueue, SmsFixtureServer.Region, SmsFixtureServer.AccessKey, SmsFixtureServer.SecretKey);
        _peer = new SmsPeerServer(new SmsPeerSettings("http://127.0.0.1:0", SmsFixtureServer.AccessKey, SmsFixtureServer.SecretKey, SmsFixtureServer.Region)
        {
            PublishFeedback = _publisher.PublishAsync,
        });
        await _peer.StartAsync(default);
        _services = AwsTestServices.Create(sqs: peers.SqsEndpoint, sms: _peer.Endpoint);
        await _services.GetRequiredService<IAmazonSQS>().CreateQueueAsync(_feedbackQueue);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _peer.DisposeAsync();
        await _publisher.DisposeAsync();
    }

    [Fact]
    public async Task A_text_is_listed_in_the_store_and_its_delivery_and_a_stop_reply_reach_the_feedback_queue()
    {
        var sent = await _services.GetRequiredService<SmsClient>().SendTextMessageAsync(new SmsText
        {
            DestinationPhoneNumber = "+15555550123",
            MessageBody = "Your code is 1234",
            Context = new Dictionary<string, string> { ["messageId"] = "peer-1" },
        }, default);
        var providerId = sent.Value;

        using var http = new HttpClient { BaseAddress = _peer.Endpoint };
        using var store = await http.GetFromJsonAsync<JsonDocument>("/store");
        var text = Assert.Single(store!.RootElement.GetProperty("texts").EnumerateArray());
        Assert.Equal((providerId, "+15555550123", "Your code is 1234", "peer-1"),
            (text.GetProperty("messageId").GetString(), text.GetProperty("to").GetString(), text.GetProperty("body").GetString(),
             text.GetProperty("context").GetProperty("messageId").GetString()));
        Assert.Contains("Your code is 1234", await http.GetStringAsync("/"));

        using var delivered = await http.PostAsync("/events", JsonContent.Create(new { messageId = providerId, @event = "TEXT_DELIVERED" }));
        using var stop = await http.PostAsync("/events", JsonContent.Create(new { messageId = providerId, @event = "STOP" }));
        using var unknown = await http.PostAsync("/events", JsonContent.Create(new { messageId = "no-such-text", @event = "STOP" }));

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.NotFound), (delivered.StatusCode, stop.StatusCode, unknown.StatusCode));
        var sqs = _services.GetRequiredService<IAmazonSQS>();
        var url = (await sqs.GetQueueUrlAsync(_feedbackQueue)).QueueUrl;
        var bodies = new List<JsonElement>();
        await AwaitCondition.UntilAsync(async () =>
        {
            bodies.AddRange(((await sqs.ReceiveMessageAsync(SqsMessageViews.ReceiveAll(url, 10, TimeSpan.FromSeconds(1), null))).Messages ?? []).Select(m => JsonDocument.Parse(m.Body).RootElement.Clone()));
            return bodies.Count >= 2;
        }, TimeSpan.FromSeconds(30), "both events are on the feedback queue");
        var status = Assert.Single(bodies, b => b.TryGetProperty("eventType", out _));
        Assert.Equal(("TEXT_DELIVERED", providerId, "peer-1"),
            (status.GetProperty("eventType").GetString(), status.GetProperty("messageId").GetString(), status.GetProperty("context").GetProperty("messageId").GetString()));
        var reply = Assert.Single(bodies, b => b.TryGetProperty("messageBody", out _));
        Assert.Equal(("STOP", "+15555550123"), (reply.GetProperty("messageBody").GetString(), reply.GetProperty("originationNumber").GetString()));
    }

    [Fact]
    public async Task A_request_signed_more_than_15_minutes_from_the_peers_clock_is_refused_and_one_within_is_accepted()
    {
        // The client signs with the real clock; the peer's runs 20 minutes ahead, then 10.
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow.AddMinutes(20));
        await using var skewed = new SmsPeerServer(new SmsPeerSettings("http://127.0.0.1:0", SmsFixtureServer.AccessKey, SmsFixtureServer.SecretKey, SmsFixtureServer.Region)
        {
            Clock = clock,
        });
        await skewed.StartAsync(default);
        await using var services = AwsTestServices.Create(sqs: peers.SqsEndpoint, sms: skewed.Endpoint);
        var sms = services.GetRequiredService<SmsClient>();
        var text = new SmsText { DestinationPhoneNumber = "+15555550123", MessageBody = "Your code is 1234" };

        var refused = await sms.SendTextMessageAsync(text, default);
        var problems = skewed.Requests.Select(r => r.SignatureProblem).ToList();
        clock.Advance(TimeSpan.FromMinutes(-10));
        var accepted = await sms.SendTextMessageAsync(text, default);

        Assert.False(refused.IsSuccess);
        Assert.NotEmpty(problems);
        Assert.All(problems, p => Assert.StartsWith("Signature expired: ", p));
        Assert.True(accepted.IsSuccess);
    }

    [Fact]
    public async Task A_malformed_x_amz_date_is_refused_with_a_4xx_naming_it()
    {
        using var http = new HttpClient { BaseAddress = _peer.Endpoint };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent("{}") };
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={SmsFixtureServer.AccessKey}/20261130/{SmsFixtureServer.Region}/sms-voice/aws4_request, " +
            $"SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={new string('0', 64)}");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", "20261130Tnoon");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "PinpointSMSVoiceV2.SendTextMessage");

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("X-Amz-Date '20261130Tnoon' is not an ISO 8601 basic time (yyyyMMddTHHmmssZ)", error.RootElement.GetProperty("Message").GetString());
    }
}
