using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Persistence;
using Messaging.Engine.Telemetry;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Api;

/// <summary>What callers control is bounded: reasons, request bodies, and the label values they put on /metrics.</summary>
public sealed class ApiBoundsTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private static async Task<string> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!;
    }

    [Fact]
    public async Task A_long_reason_and_oversized_bodies_are_refused_with_the_limit()
    {
        // Kestrel: the body limits are applied by the server, which the in-memory test server does not do.
        await using var host = await OperatorHost.StartAsync(peers, kestrel: true);
        var operatorClient = host.Client("operator");
        // The server refuses an oversized body from its length alone; with 100-continue the client waits for that
        // answer instead of writing megabytes into a connection the server closes.
        operatorClient.DefaultRequestHeaders.ExpectContinue = true;
        var reader = host.Client("reader");
        reader.DefaultRequestHeaders.ExpectContinue = true;
        var suppression = new Uri($"/recipients/email/{host.Address("ana")}/suppression", UriKind.Relative);

        Assert.Equal("the reason is 5000 characters; at most 1000 are recorded",
            await ProblemAsync(await operatorClient.PutAsJsonAsync(suppression, new { reason = new string('r', 5_000) }), HttpStatusCode.BadRequest));
        Assert.Equal("the reason is 5000 characters; at most 1000 are recorded",
            await ProblemAsync(await operatorClient.PostAsJsonAsync(new Uri("/reputation/marketing/pause", UriKind.Relative), new { reason = new string('r', 5_000) }),
                HttpStatusCode.BadRequest));
        Assert.Contains("65536",
            await ProblemAsync(await operatorClient.PutAsJsonAsync(suppression, new { reason = new string('r', 1_048_576) }), HttpStatusCode.RequestEntityTooLarge),
            StringComparison.Ordinal);

        var data = new StringBuilder("{\"blob\":\"").Append('d', 5 * 1024 * 1024).Append("\"}").ToString();
        using var preview = new StringContent($"{{\"data\":{data}}}", Encoding.UTF8, "application/json");
        Assert.Contains("1048576",
            await ProblemAsync(await reader.PostAsync(new Uri("/templates/any/preview", UriKind.Relative), preview), HttpStatusCode.RequestEntityTooLarge),
            StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await operatorClient.PutAsJsonAsync(suppression, new { reason = new string('r', 1_000) })).StatusCode);
    }

    [Fact]
    public async Task Configuration_sets_named_by_requests_get_at_most_32_label_values_on_metrics_and_the_rest_count_as_other()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var url = (await sqs.GetQueueUrlAsync($"{host.Prefix}-requests")).QueueUrl;
        const int Sets = EngineMetrics.ConfigurationSetLabels + 8;
        for (var i = 0; i < Sets; i++)
        {
            await sqs.SendMessageAsync(url, $$$"""{"schema":"messaging.request.v1","messageId":"cs-{{{i}}}","channel":"email","to":"{{{host.Address($"r{i}")}}}","configurationSet":"set-{{{i}}}","content":{"subject":"Hi","text":"Hello"}}""");
        }

        var journal = host.Services.GetRequiredService<IJournal>();
        await AwaitCondition.UntilAsync(async () =>
        {
            for (var i = 0; i < Sets; i++)
            {
                if ((await journal.FindMessageAsync($"cs-{i}", default))?.Status != "sent")
                {
                    return false;
                }
            }

            return true;
        }, Deadline, "every request is sent");

        var lines = (await host.Client().GetStringAsync(new Uri("/metrics", UriKind.Relative))).Split('\n')
            .Where(l => l.StartsWith("messaging_sends_total{", StringComparison.Ordinal)).ToList();
        Assert.Equal(EngineMetrics.ConfigurationSetLabels + 1, lines.Count);
        Assert.Contains("messaging_sends_total{channel=\"email\",configuration_set=\"other\"} 8", lines);
    }
}
