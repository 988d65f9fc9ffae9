using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Api;

/// <summary>
/// The operator API names a recipient by any spelling of its address: <c>"victim"@…</c> is victim@…, so suppressing,
/// unsuppressing and looking up act on the one recipient that requests reach.
/// </summary>
public sealed class QuotedAddressApiTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected OK, got {response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static Uri Recipient(string address, string rest = "") =>
        new($"/recipients/email/{Uri.EscapeDataString(address)}{rest}", UriKind.Relative);

    private static async Task<MessageRecord> SendAndSettleAsync(OperatorHost host, string id, string to, string status)
    {
        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var url = (await sqs.GetQueueUrlAsync($"{host.Prefix}-requests")).QueueUrl;
        var body = new JsonObject
        {
            ["schema"] = "messaging.request.v1", ["messageId"] = id, ["channel"] = "email", ["to"] = to,
            ["content"] = new JsonObject { ["subject"] = "Hi", ["text"] = "Hello" },
        }.ToJsonString();
        Assert.NotNull((await sqs.SendMessageAsync(url, body)).MessageId);
        var journal = host.Services.GetRequiredService<IJournal>();
        MessageRecord? record = null;
        await AwaitCondition.UntilAsync(async () => (record = await journal.FindMessageAsync(id, default))?.Status == status, Deadline, $"{id} becomes {status} (is {record?.Status})");
        return record!;
    }

    [Fact]
    public async Task Suppressing_a_quoted_spelling_suppresses_the_plain_address_and_any_spelling_looks_it_up_and_lifts_it()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var domain = host.Address("x").Split('@')[1];
        var plain = $"victim@{domain}";
        var operatorClient = host.Client("operator");
        var reader = host.Client("reader");

        var suppressed = await JsonAsync(await operatorClient.PutAsJsonAsync(Recipient($"\"victim\"@{domain}", "/suppression"), new { reason = "asked by phone" }));
        var byPlain = await JsonAsync(await reader.GetAsync(Recipient(plain)));
        var byQuoted = await JsonAsync(await reader.GetAsync(Recipient($"\"Victim\"@{domain}")));
        var toPlain = await SendAndSettleAsync(host, "api-plain", plain, "suppressed");
        var toQuoted = await SendAndSettleAsync(host, "api-quoted", $"\"vic\\tim\"@{domain}", "suppressed");
        var lifted = await JsonAsync(await operatorClient.DeleteAsync(Recipient($"\"VICTIM\"@{domain}", "/suppression?reason=mistake")));
        var after = await JsonAsync(await reader.GetAsync(Recipient(plain)));

        Assert.Equal(($"email:{plain}", "suppressed"), (suppressed.GetProperty("recipient").GetString(), suppressed.GetProperty("change").GetString()));
        Assert.Equal("operator", byPlain.GetProperty("suppression").GetProperty("reason").GetString());
        Assert.Equal($"email:{plain}", byQuoted.GetProperty("key").GetString());
        Assert.Equal("operator", byQuoted.GetProperty("suppression").GetProperty("reason").GetString());
        Assert.Equal(($"email:{plain}", $"email:{plain}"), (toPlain.RecipientKey, toQuoted.RecipientKey));
        Assert.Equal(($"email:{plain}", "unsuppressed"), (lifted.GetProperty("recipient").GetString(), lifted.GetProperty("change").GetString()));
        Assert.Equal(JsonValueKind.Null, after.GetProperty("suppression").ValueKind);
    }

    [Fact]
    public async Task A_quoted_spelling_that_needs_its_quotes_is_refused_with_the_reason()
    {
        await using var host = await OperatorHost.StartAsync(peers);

        var response = await host.Client("operator").PutAsJsonAsync(Recipient($"\"john doe\"@{host.Prefix}.test", "/suppression"), new { reason = "r" });

        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("has a quoted part before the '@' that cannot be written without quotes", problem.GetProperty("detail").GetString());
    }
}
