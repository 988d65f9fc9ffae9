using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Messaging.Contracts.Requests;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Persistence;
using Messaging.Engine.Templates;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Api;

/// <summary>The operator API against a real engine: every endpoint's happy path and its refusals.</summary>
public sealed class OperatorApiTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {response.StatusCode}: {text}");
        return JsonDocument.Parse(text.Length == 0 ? "null" : text).RootElement.Clone();
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var problem = await JsonAsync(response, expected);
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem.GetProperty("detail").GetString()!;
    }

    private static async Task EnqueueAsync(OperatorHost host, string body)
    {
        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var url = (await sqs.GetQueueUrlAsync($"{host.Prefix}-requests")).QueueUrl;
        Assert.NotNull((await sqs.SendMessageAsync(url, body)).MessageId);
    }

    private static string Email(string id, string to) =>
        $$$"""{"schema":"messaging.request.v1","messageId":"{{{id}}}","channel":"email","to":"{{{to}}}","content":{"subject":"Hi","text":"Hello"}}""";

    private static async Task<MessageRecord> StatusAsync(OperatorHost host, string id, string status)
    {
        var journal = host.Services.GetRequiredService<IJournal>();
        MessageRecord? record = null;
        await AwaitCondition.UntilAsync(async () => (record = await journal.FindMessageAsync(id, default))?.Status == status, Deadline, $"{id} becomes {status}");
        return record!;
    }

    [Fact]
    public async Task Tokens_that_are_missing_forged_expired_or_for_another_audience_are_refused_with_the_reason()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var path = new Uri("/reputation", UriKind.Relative);

        var cases = new (string? Token, string Reason)[]
        {
            (null, "no bearer token: send 'Authorization: Bearer <JWT>'"),
            (OperatorTokens.Hs256("reader", secret: "another-secret-that-is-32-bytes-long!!"), "the token's signature does not verify with any configured key"),
            (OperatorTokens.Hs256("reader", lifetime: TimeSpan.FromMinutes(1), notBefore: DateTime.UtcNow.AddHours(-2)), "the token expired at "),
            (OperatorTokens.Hs256("reader", audience: "billing"), "the token is for audience 'billing', not this engine"),
            ("not.a.jwt", "the token is not a well-formed JWT"),
        };
        foreach (var (token, reason) in cases)
        {
            var response = await host.Client(token: token).GetAsync(path);
            Assert.StartsWith(reason, await ProblemAsync(response, HttpStatusCode.Unauthorized));
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }

        Assert.Equal(HttpStatusCode.OK, (await host.Client("reader").GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client().GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client().GetAsync(new Uri("/openapi/v1.json", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task A_reader_may_look_but_changing_anything_needs_the_operator_role()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var reader = host.Client("reader");

        var response = await reader.PostAsJsonAsync(new Uri("/reputation/marketing/pause", UriKind.Relative), new { reason = "x" });

        Assert.Equal("this needs the 'operator' role; the token's role is 'reader'", await ProblemAsync(response, HttpStatusCode.Forbidden));
        Assert.Equal("this needs the 'reader' role (or 'operator'); the token's role is 'auditor'", await ProblemAsync(await host.Client("auditor").GetAsync(new Uri("/reputation", UriKind.Relative)), HttpStatusCode.Forbidden));
    }

    [Fact]
    public async Task An_rs256_token_signed_by_a_configured_public_key_is_accepted()
    {
        using var rsa = RSA.Create(2048);
        var pem = Path.Combine(Path.GetTempPath(), $"ops-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(pem, rsa.ExportSubjectPublicKeyInfoPem());
        try
        {
            await using var host = await OperatorHost.StartAsync(peers, ("Host:Auth:RsaPublicKeyFiles:0", pem));

            var accepted = await host.Client(token: OperatorTokens.Rs256(rsa, "reader")).GetAsync(new Uri("/reputation", UriKind.Relative));
            using var other = RSA.Create(2048);
            var refused = await host.Client(token: OperatorTokens.Rs256(other, "reader")).GetAsync(new Uri("/reputation", UriKind.Relative));

            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Fact]
    public async Task Recipients_can_be_looked_up_suppressed_and_unsuppressed_with_reasons_and_bad_input_is_refused()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var to = host.Address("ana");
        var operatorClient = host.Client("operator");

        var suppressed = await JsonAsync(await operatorClient.PutAsJsonAsync(new Uri($"/recipients/email/{to}/suppression", UriKind.Relative), new { reason = "asked by phone" }), HttpStatusCode.OK);
        var state = await JsonAsync(await host.Client("reader").GetAsync(new Uri($"/recipients/email/{to}", UriKind.Relative)), HttpStatusCode.OK);
        var listed = await JsonAsync(await host.Client("reader").GetAsync(new Uri("/suppressions?channel=email", UriKind.Relative)), HttpStatusCode.OK);
        var lifted = await JsonAsync(await operatorClient.DeleteAsync(new Uri($"/recipients/email/{to}/suppression?reason=mistake", UriKind.Relative)), HttpStatusCode.OK);
        var after = await JsonAsync(await host.Client("reader").GetAsync(new Uri($"/recipients/email/{to}", UriKind.Relative)), HttpStatusCode.OK);

        Assert.Equal("suppressed", suppressed.GetProperty("change").GetString());
        Assert.Equal(("operator", "ops@example.com", "asked by phone"), (state.GetProperty("suppression").GetProperty("reason").GetString(),
            state.GetProperty("suppression").GetProperty("by").GetString(), state.GetProperty("suppression").GetProperty("note").GetString()));
        var entry = Assert.Single(listed.EnumerateArray());
        Assert.Equal(($"email:{to}", "operator", "ops@example.com"), (entry.GetProperty("recipientKey").GetString(), entry.GetProperty("reason").GetString(), entry.GetProperty("by").GetString()));
        Assert.Equal("unsuppressed", lifted.GetProperty("change").GetString());
        Assert.Empty((await JsonAsync(await host.Client("reader").GetAsync(new Uri("/suppressions", UriKind.Relative)), HttpStatusCode.OK)).EnumerateArray());
        Assert.Equal("channel 'fax' is not 'email' or 'sms'", await ProblemAsync(await host.Client("reader").GetAsync(new Uri("/suppressions?channel=fax", UriKind.Relative)), HttpStatusCode.BadRequest));
        Assert.Equal(JsonValueKind.Null, after.GetProperty("suppression").ValueKind);

        Assert.Equal("channel 'fax' is not 'email' or 'sms'", await ProblemAsync(await host.Client("reader").GetAsync(new Uri("/recipients/fax/123", UriKind.Relative)), HttpStatusCode.BadRequest));
        Assert.StartsWith("'not-an-address' ", await ProblemAsync(await host.Client("reader").GetAsync(new Uri("/recipients/email/not-an-address", UriKind.Relative)), HttpStatusCode.BadRequest));
        Assert.StartsWith("a reason is required", await ProblemAsync(await operatorClient.PutAsJsonAsync(new Uri($"/recipients/email/{to}/suppression", UriKind.Relative), new { reason = " " }), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Messages_show_their_status_and_history_and_can_be_listed_by_recipient_and_time()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var to = host.Address("bo");
        await EnqueueAsync(host, Email("api-1", to));
        await StatusAsync(host, "api-1", "sent");
        var reader = host.Client("reader");

        var message = await JsonAsync(await reader.GetAsync(new Uri("/messages/api-1", UriKind.Relative)), HttpStatusCode.OK);
        var listed = await JsonAsync(await reader.GetAsync(new Uri($"/messages?channel=email&to={to}&from=2020-01-01T00:00:00Z", UriKind.Relative)), HttpStatusCode.OK);
        var none = await JsonAsync(await reader.GetAsync(new Uri($"/messages?to={to}&until=2020-01-01T00:00:00Z", UriKind.Relative)), HttpStatusCode.OK);

        Assert.Equal(("sent", $"email:{to}"), (message.GetProperty("status").GetString(), message.GetProperty("recipient").GetString()));
        Assert.Equal(["request-accepted", "send-intended", "sent"], message.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("event").GetString()));
        Assert.Equal("api-1", Assert.Single(listed.EnumerateArray()).GetProperty("messageId").GetString());
        Assert.Empty(none.EnumerateArray());
        Assert.Equal("no message 'nope'", await ProblemAsync(await reader.GetAsync(new Uri("/messages/nope", UriKind.Relative)), HttpStatusCode.NotFound));
        Assert.StartsWith("'to' is required", await ProblemAsync(await reader.GetAsync(new Uri("/messages", UriKind.Relative)), HttpStatusCode.BadRequest));
        Assert.Equal("'limit' must be between 1 and 1000", await ProblemAsync(await reader.GetAsync(new Uri($"/messages?to={to}&limit=0", UriKind.Relative)), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Templates_can_be_listed_shown_rolled_back_and_previewed()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var store = host.Services.GetRequiredService<ITemplateStore>();
        TemplateDraft Draft(string subject) => new(TemplateKind.Template, "receipt", new TemplateDefinition(Channel.Email, subject, "<p>{{ name }}</p>",
            Variables: [new TemplateVariable("name")], SampleData: JsonDocument.Parse("""{"name":"Sample"}""").RootElement.Clone()));
        await store.PushAsync([Draft("v1 {{ name }}")], "test", default);
        await store.PushAsync([Draft("v2 {{ name }}")], "test", default);
        var reader = host.Client("reader");

        var list = await JsonAsync(await reader.GetAsync(new Uri("/templates", UriKind.Relative)), HttpStatusCode.OK);
        var versions = await JsonAsync(await reader.GetAsync(new Uri("/templates/receipt/versions", UriKind.Relative)), HttpStatusCode.OK);
        var rolledBack = await JsonAsync(await host.Client("operator").PutAsJsonAsync(new Uri("/templates/receipt/current", UriKind.Relative), new { version = 1 }), HttpStatusCode.OK);
        var shown = await JsonAsync(await reader.GetAsync(new Uri("/templates/receipt", UriKind.Relative)), HttpStatusCode.OK);
        var preview = await JsonAsync(await reader.PostAsJsonAsync(new Uri("/templates/receipt/preview", UriKind.Relative), new { data = new { name = "<Ana>" } }), HttpStatusCode.OK);
        var sample = await JsonAsync(await reader.PostAsJsonAsync(new Uri("/templates/receipt/preview", UriKind.Relative), new { version = 2 }), HttpStatusCode.OK);

        Assert.Equal(2, Assert.Single(list.EnumerateArray()).GetProperty("latestVersion").GetInt32());
        Assert.Equal([2, 1], versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.True(rolledBack.GetProperty("current").GetBoolean());
        Assert.Equal(1, shown.GetProperty("version").GetInt32());
        Assert.Equal(("v1 <Ana>", "<p>&lt;Ana&gt;</p>"), (preview.GetProperty("subject").GetString(), preview.GetProperty("html").GetString()));
        Assert.Equal("v2 Sample", sample.GetProperty("subject").GetString());

        Assert.Equal("Template 'receipt' has no version 9; it has versions 1, 2.",
            await ProblemAsync(await host.Client("operator").PutAsJsonAsync(new Uri("/templates/receipt/current", UriKind.Relative), new { version = 9 }), HttpStatusCode.NotFound));
        Assert.Equal("no template 'nope'", await ProblemAsync(await reader.GetAsync(new Uri("/templates/nope", UriKind.Relative)), HttpStatusCode.NotFound));
        Assert.Equal("template 'receipt' (v1) needs 'name' in data; the request has no value for it",
            await ProblemAsync(await reader.PostAsJsonAsync(new Uri("/templates/receipt/preview", UriKind.Relative), new { data = new { other = 1 } }), HttpStatusCode.UnprocessableEntity));
    }

    [Fact]
    public async Task Marketing_can_be_paused_and_resumed_by_an_operator_with_a_reason()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var operatorClient = host.Client("operator");

        var paused = await JsonAsync(await operatorClient.PostAsJsonAsync(new Uri("/reputation/marketing/pause", UriKind.Relative), new { reason = "complaint spike" }), HttpStatusCode.OK);
        var resumed = await JsonAsync(await operatorClient.PostAsJsonAsync(new Uri("/reputation/marketing/resume", UriKind.Relative), new { reason = "list cleaned" }), HttpStatusCode.OK);

        var pause = Assert.Single(paused.GetProperty("pauses").EnumerateArray());
        Assert.Equal((true, "complaint spike", "ops@example.com"), (pause.GetProperty("paused").GetBoolean(), pause.GetProperty("reason").GetString(), pause.GetProperty("changedBy").GetString()));
        Assert.False(Assert.Single(resumed.GetProperty("pauses").EnumerateArray()).GetProperty("paused").GetBoolean());
        Assert.Equal("category 'promos' is not 'marketing' or 'transactional'",
            await ProblemAsync(await operatorClient.PostAsJsonAsync(new Uri("/reputation/promos/pause", UriKind.Relative), new { reason = "x" }), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task A_dead_lettered_request_is_peeked_then_redriven_after_the_fault_is_fixed_and_ends_sent()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var to = host.Address("broken");
        host.Faults.Rule = body => body.Contains(to, StringComparison.Ordinal)
            ? ProviderFaults.SesError(HttpStatusCode.InternalServerError, "InternalFailure", "Internal failure")
            : null;
        await EnqueueAsync(host, Email("poison", to));
        await EnqueueAsync(host, "{not json");
        await StatusAsync(host, "poison", "deadLettered");
        var reader = host.Client("reader");
        var operatorClient = host.Client("operator");

        JsonElement peeked = default;
        await AwaitCondition.UntilAsync(async () =>
        {
            peeked = await JsonAsync(await reader.GetAsync(new Uri("/dlq/requests", UriKind.Relative)), HttpStatusCode.OK);
            return peeked.GetArrayLength() == 2;
        }, Deadline, "both dead letters are in the DLQ");
        var poison = peeked.EnumerateArray().Single(e => e.GetProperty("messageId").GetString() == "poison");
        Assert.Contains("InternalFailure", poison.GetProperty("error").GetString());
        Assert.Equal(3, poison.GetProperty("attempts").GetInt32());

        host.Faults.Rule = _ => null;
        var redriven = await JsonAsync(await operatorClient.PostAsJsonAsync(new Uri("/dlq/requests/redrive", UriKind.Relative),
            new { messageIds = new[] { poison.GetProperty("sqsMessageId").GetString() } }), HttpStatusCode.OK);

        Assert.Single(redriven.GetProperty("done").EnumerateArray());
        await StatusAsync(host, "poison", "sent");
        var left = await JsonAsync(await reader.GetAsync(new Uri("/dlq/requests", UriKind.Relative)), HttpStatusCode.OK);
        Assert.Equal("{not json", Assert.Single(left.EnumerateArray()).GetProperty("body").GetString());
        var message = await JsonAsync(await reader.GetAsync(new Uri("/messages/poison", UriKind.Relative)), HttpStatusCode.OK);
        Assert.Contains("redriven", message.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("event").GetString()));

        var purged = await JsonAsync(await operatorClient.PostAsJsonAsync(new Uri("/dlq/requests/purge", UriKind.Relative), new { }), HttpStatusCode.OK);
        Assert.Single(purged.GetProperty("done").EnumerateArray());
        Assert.Empty((await JsonAsync(await reader.GetAsync(new Uri("/dlq/requests", UriKind.Relative)), HttpStatusCode.OK)).EnumerateArray());
        Assert.Equal("queue 'other' is not 'requests' or 'feedback'", await ProblemAsync(await reader.GetAsync(new Uri("/dlq/other", UriKind.Relative)), HttpStatusCode.BadRequest));
    }
}
