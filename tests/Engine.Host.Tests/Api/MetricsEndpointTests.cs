using System.Net;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Api;

/// <summary><c>GET /metrics</c>: Prometheus text exposition of what the engine did, without a token.</summary>
public sealed class MetricsEndpointTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sends_outcomes_latencies_rates_actors_queues_and_reputation_are_exposed_in_prometheus_format()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var url = (await sqs.GetQueueUrlAsync($"{host.Prefix}-requests")).QueueUrl;
        foreach (var (id, body) in new[]
                 {
                     ("m-1", $$$"""{"schema":"messaging.request.v1","messageId":"m-1","channel":"email","to":"{{{host.Address("a")}}}","content":{"subject":"Hi","text":"Hello"}}"""),
                     ("m-2", $$$"""{"schema":"messaging.request.v1","messageId":"m-2","channel":"email","to":"{{{host.Address("b")}}}","content":{"subject":"Hi","text":"Hello"}}"""),
                     ("bad", "{not json"),
                 })
        {
            await sqs.SendMessageAsync(url, body);
        }

        var journal = host.Services.GetRequiredService<IJournal>();
        await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync("m-2", default))?.Status == "sent"
            && (await journal.FindMessageAsync("m-1", default))?.Status == "sent", Deadline, "both are sent");
        var client = host.Client();

        string text = "";
        await AwaitCondition.UntilAsync(async () =>
        {
            var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
            text = await response.Content.ReadAsStringAsync();
            return text.Contains("messaging_requests_outcomes_total{outcome=\"invalid\"} 1", StringComparison.Ordinal)
                && text.Contains("messaging_queue_depth{", StringComparison.Ordinal);
        }, Deadline, "the invalid request and the queue depths are counted");

        var lines = text.Split('\n');
        Assert.Contains("# TYPE messaging_sends_total counter", lines);
        Assert.Contains("messaging_sends_total{channel=\"email\",configuration_set=\"\"} 2", lines);
        Assert.Contains("messaging_requests_outcomes_total{outcome=\"sent\"} 2", lines);
        Assert.Contains($"messaging_requests_received_total{{queue=\"{host.Prefix}-requests\"}} 3", lines);
        Assert.Contains(lines, l => l.StartsWith($"messaging_sqs_receives_total{{queue=\"{host.Prefix}-requests\"}} ", StringComparison.Ordinal));
        Assert.Contains($"messaging_dead_lettered_total{{queue=\"{host.Prefix}-requests\"}} 1", lines);
        Assert.Contains("# TYPE messaging_provider_duration_seconds histogram", lines);
        Assert.Contains("messaging_provider_duration_seconds_bucket{channel=\"email\",le=\"+Inf\"} 2", lines);
        Assert.Contains("messaging_provider_duration_seconds_count{channel=\"email\"} 2", lines);
        Assert.Contains("messaging_request_send_latency_seconds_count 2", lines);
        Assert.Contains("messaging_send_rate_limit{channel=\"sms\"} 1", lines);
        Assert.Contains(lines, l => l.StartsWith("messaging_actors_live ", StringComparison.Ordinal));
        Assert.Contains("messaging_cluster_nodes 1", lines);
        // The entities' persists, counted by the journal plugin's group commit.
        var appends = Assert.Single(lines, l => l.StartsWith("messaging_journal_appends_total ", StringComparison.Ordinal));
        Assert.True(double.Parse(appends["messaging_journal_appends_total ".Length..], System.Globalization.CultureInfo.InvariantCulture) > 0, appends);
        Assert.Contains(lines, l => l.StartsWith($"messaging_queue_depth{{queue=\"{host.Prefix}-dlq\"}} ", StringComparison.Ordinal));
        Assert.Contains("messaging_reputation_paused{category=\"marketing\"} 0", lines);
    }
}
