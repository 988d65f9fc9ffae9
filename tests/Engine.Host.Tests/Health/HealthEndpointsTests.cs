using System.Net;
using System.Text.Json;
using Messaging.Testing;
using Amazon.Runtime;
using Messaging.Engine.Aws.Signing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Messaging.Host.Tests.Health;

public sealed class HealthEndpointsTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    [Fact]
    public async Task Liveness_answers_without_any_dependency()
    {
        await using var host = Host(sqs: new Uri("http://127.0.0.1:9"), ses: new Uri("http://127.0.0.1:9"));

        var response = await host.CreateClient().GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"live"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readiness_is_ok_when_sqs_and_ses_answer_and_reports_the_quota()
    {
        await using var host = Host(peers.SqsEndpoint, peers.SesEndpoint);

        var response = await Reader(host).GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(body.RootElement.GetProperty("ready").GetBoolean());
        var ses = body.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "ses");
        Assert.StartsWith($"quota known: {peers.SesMaxSendRate}/s", ses.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var storage = body.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "storage");
        Assert.True(storage.GetProperty("ok").GetBoolean());
        Assert.StartsWith("SQLite at ", storage.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_that_is_down_shows_as_degraded_with_its_reason_and_the_node_stays_ready()
    {
        await using var host = Host(peers.SqsEndpoint, new Uri("http://127.0.0.1:9"));

        var response = await Reader(host).GetAsync(new Uri("/health/ready", UriKind.Relative));

        // An SES outage hits every node alike: failing readiness would take them all out of the load balancer.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(body.RootElement.GetProperty("ready").GetBoolean());
        Assert.Equal("degraded", body.RootElement.GetProperty("status").GetString());
        var checks = body.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c);
        Assert.True(checks["sqs"].GetProperty("ok").GetBoolean());
        Assert.False(checks["ses"].GetProperty("ok").GetBoolean());
        Assert.Equal("degraded", checks["ses"].GetProperty("attention").GetString());
        Assert.StartsWith("SES Transient ConnectionFailed", checks["ses"].GetProperty("detail").GetString(), StringComparison.Ordinal);
        var ses = body.RootElement.GetProperty("providers").EnumerateArray().Single(p => p.GetProperty("provider").GetString() == "ses");
        Assert.False(ses.GetProperty("up").GetBoolean());
        Assert.StartsWith("ConnectionFailed: ", ses.GetProperty("lastFailure").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reputation_pause_shows_in_readiness_without_making_the_engine_unready()
    {
        await using var host = Host(peers.SqsEndpoint, peers.SesEndpoint);
        var client = Reader(host);
        await host.Services.GetRequiredService<Messaging.Engine.Reputation.ReputationGuard>().PauseAsync(
            Messaging.Contracts.Requests.Category.Marketing, "ops@example.com", "checking a complaint spike", default);

        var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var reputation = body.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "reputation");
        Assert.True(reputation.GetProperty("ok").GetBoolean());
        Assert.Equal("paused", reputation.GetProperty("attention").GetString());
        Assert.Matches(@"^marketing email paused since .+ by ops@example\.com: checking a complaint spike$", reputation.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_request_queue_deeper_than_the_lagging_depth_shows_in_readiness()
    {
        // A queue SQS does not have: the depth monitor cannot overwrite the depth this test sets.
        var queue = $"never-created-{Guid.NewGuid():N}";
        await using var host = Host(peers.SqsEndpoint, peers.SesEndpoint, ("Engine:Ingest:LaggingQueueDepth", "5"), ("Engine:Ingest:RequestQueues:0:Name", queue));
        var client = Reader(host);
        host.Services.GetRequiredService<Messaging.Engine.Telemetry.EngineMetrics>().QueueDepth(queue, 6);

        using var body = JsonDocument.Parse(await (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).Content.ReadAsStringAsync());

        var queues = body.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "queues");
        Assert.Equal("lagging", queues.GetProperty("attention").GetString());
        Assert.StartsWith($"{queue} over 5 messages", queues.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Readiness_needs_a_token_unless_configured_for_anonymous_probes()
    {
        await using var host = Host(peers.SqsEndpoint, peers.SesEndpoint);
        await using var open = Host(peers.SqsEndpoint, peers.SesEndpoint, ("Host:Auth:AnonymousReadiness", "true"));

        var refused = await host.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var anonymous = await open.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
    }

    private static HttpClient Reader(WebApplicationFactory<Program> host)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", OperatorTokens.Hs256("reader"));
        return client;
    }

    private static WebApplicationFactory<Program> Host(Uri sqs, Uri ses, params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(builder => settings.Aggregate(builder, (b, s) => b.UseSetting(s.Key, s.Value))
            .UseSetting("Engine:Aws:Region", "us-east-1")
            .UseSetting("Engine:Persistence:SqlitePath", Path.Combine(Path.GetTempPath(), $"messaging-host-{Guid.NewGuid():N}", "engine.db"))
            .UseSetting("Engine:Aws:SqsEndpoint", sqs.ToString())
            .UseSetting("Engine:Aws:SesEndpoint", ses.ToString())
            .UseSetting("Engine:Aws:RequestTimeout", "00:00:05")
            .UseSetting("Host:Auth:SigningKey", OperatorTokens.Secret)
            .UseEnvironment("Development")
            .ConfigureTestServices(services => services.Replace(ServiceDescriptor.Singleton<IAwsCredentialSource>(
                new StaticAwsCredentialSource(new ImmutableCredentials(SmsFixtureServer.AccessKey, SmsFixtureServer.SecretKey, null))))));
}
