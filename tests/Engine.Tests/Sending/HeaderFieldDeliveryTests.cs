using Messaging.Engine.Aws;
using System.Text.Json.Nodes;
using Messaging.Contracts.Requests;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Persistence;
using Messaging.Engine.Templates;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Sending;

/// <summary>
/// Header-bound values end to end (SQS → engine → SES peer): a sender that is not exactly one address, and a subject
/// with a line break, never reach SES, whether the request, its template data, or template metadata carries them.
/// </summary>
public sealed class HeaderFieldDeliveryTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static string Email(string messageId, string to, Action<JsonObject> edit)
    {
        var request = new JsonObject
        {
            ["schema"] = "messaging.request.v1",
            ["messageId"] = messageId,
            ["channel"] = "email",
            ["to"] = to,
            ["content"] = new JsonObject { ["subject"] = "Your order", ["text"] = "Shipped" },
        };
        edit(request);
        return request.ToJsonString();
    }

    private static string Templated(string messageId, string to, string template, JsonObject data) =>
        Email(messageId, to, r => { r.Remove("content"); r["template"] = template; r["data"] = data; });

    private static async Task<MessageRecord> SettledAsync(EngineUnderTest engine, string messageId, string status)
    {
        var journal = engine.Services.GetRequiredService<IJournal>();
        MessageRecord? record = null;
        await AwaitCondition.UntilAsync(async () => (record = await journal.FindMessageAsync(messageId, default))?.Status == status,
            Deadline, $"{messageId} becomes {status} (is {record?.Status})");
        return record!;
    }

    /// <summary>Waits until <paramref name="count"/> dead letters arrived; returns their reasons by message id.</summary>
    private static async Task<Dictionary<string, string>> DeadLetterReasonsAsync(EngineUnderTest engine, int count)
    {
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        await AwaitCondition.UntilAsync(async () =>
        {
            foreach (var dead in await engine.TakeDeadLettersAsync())
            {
                var id = JsonNode.Parse(dead.Body)!["messageId"]!.GetValue<string>();
                reasons[id] = dead.StringAttribute(DeadLetterWriter.ErrorAttribute)!;
            }

            return reasons.Count >= count;
        }, Deadline, $"{count} requests are dead-lettered (have {string.Join(", ", reasons.Keys)})");
        return reasons;
    }

    [Fact]
    public async Task A_from_that_names_two_senders_is_dead_lettered_with_the_reason_and_nothing_is_sent()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var to = engine.Address("ana");

        await engine.EnqueueAsync(
        [
            Email("two-bare", to, r => r["from"] = "shop@example.com, attacker@evil.com"),
            Email("two-named", to, r => r["from"] = "Shop <shop@example.com>, Evil <attacker@evil.com>"),
            Email("one-named", to, r => r["from"] = "\"Shop, Inc\" <shop@example.com>"),
        ]);

        var reasons = await DeadLetterReasonsAsync(engine, 2);
        Assert.StartsWith("invalid request: $.from: names more than one address (there is a ',' outside quotes)", reasons["two-bare"]);
        Assert.StartsWith("invalid request: $.from: names more than one address (there is a ',' outside quotes)", reasons["two-named"]);
        await SettledAsync(engine, "one-named", "sent");
        var sent = Assert.Single(await engine.SentEmailsAsync(peers));
        Assert.Equal("\"Shop, Inc\" <shop@example.com>", sent.GetProperty("from").GetString());
    }

    [Fact]
    public async Task A_template_whose_sender_or_configuration_set_is_unsafe_is_rejected_with_the_reason_and_nothing_is_sent()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        await engine.Services.GetRequiredService<ITemplateStore>().PushAsync(
        [
            new TemplateDraft(TemplateKind.Template, "two-senders", new TemplateDefinition(
                Channel.Email, "Hello", Text: "Hi", From: "shop@example.com, attacker@evil.com")),
            new TemplateDraft(TemplateKind.Template, "bad-set", new TemplateDefinition(
                Channel.Email, "Hello", Text: "Hi", ConfigurationSet: "pool\r\nBcc: x@y.com")),
        ], "test", default);
        var to = engine.Address("bo");

        await engine.EnqueueAsync([Templated("tpl-from", to, "two-senders", []), Templated("tpl-set", to, "bad-set", [])]);

        var from = await SettledAsync(engine, "tpl-from", "rejected");
        var set = await SettledAsync(engine, "tpl-set", "rejected");
        Assert.StartsWith("the sender (template two-senders@1's 'from') names more than one address", from.Reason);
        Assert.Equal("the configuration set (template bad-set@1's 'configurationSet') may contain only letters, digits, '_' and '-', at most 64 characters", set.Reason);
        Assert.Empty(await engine.SentEmailsAsync(peers));
        Assert.Empty(await engine.TakeDeadLettersAsync());
    }

    [Fact]
    public async Task An_inline_subject_with_a_line_break_is_dead_lettered_with_the_reason_and_nothing_is_sent()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var to = engine.Address("cy");

        await engine.EnqueueAsync([Email("crlf-subject", to, r => r["content"]!["subject"] = "Hi\r\nBcc: x@y.com")]);

        var reasons = await DeadLetterReasonsAsync(engine, 1);
        Assert.Equal(
            "invalid request: $.content.subject: has a line break (U+000D) at position 3; it goes into a mail header, which must be one line",
            reasons["crlf-subject"]);
        Assert.Empty(await engine.SentEmailsAsync(peers));
    }

    [Fact]
    public async Task Template_data_that_puts_a_line_break_into_the_subject_is_rejected_with_the_reason_and_nothing_is_sent()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        await engine.Services.GetRequiredService<ITemplateStore>().PushAsync(
        [
            new TemplateDraft(TemplateKind.Template, "welcome", new TemplateDefinition(
                Channel.Email, "Welcome {{name}}", Text: "Hello {{name}}", Variables: [new TemplateVariable("name")])),
        ], "test", default);
        var to = engine.Address("dee");

        await engine.EnqueueAsync(
        [
            Templated("injected", to, "welcome", new JsonObject { ["name"] = "Ana\r\nBcc: x@y.com" }),
            Templated("escape", to, "welcome", new JsonObject { ["name"] = "Ana\u001b" }),
            Templated("plain", to, "welcome", new JsonObject { ["name"] = "Ana" }),
        ]);

        var injected = await SettledAsync(engine, "injected", "rejected");
        var escape = await SettledAsync(engine, "escape", "rejected");
        await SettledAsync(engine, "plain", "sent");
        Assert.Equal(
            "the subject rendered from template welcome@1 has a line break (U+000D) at position 12; it goes into a mail header, which must be one line",
            injected.Reason);
        Assert.Equal(
            "the subject rendered from template welcome@1 has a control character (U+001B) at position 12; it goes into a mail header, which allows none (tabs included)",
            escape.Reason);
        var sent = Assert.Single(await engine.SentEmailsAsync(peers));
        Assert.Equal("Welcome Ana", sent.GetProperty("subject").GetString());
        Assert.Empty(await engine.TakeDeadLettersAsync());
    }

    [Fact]
    public async Task A_null_template_without_content_is_dead_lettered_with_the_readers_reason_as_a_request_without_the_field_is()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var to = engine.Address("ed");

        await engine.EnqueueAsync(
        [
            Email("null-template", to, r => { r.Remove("content"); r["template"] = null; }),
            Email("no-template", to, r => r.Remove("content")),
        ]);

        var reasons = await DeadLetterReasonsAsync(engine, 2);
        const string Reason = "invalid request: $: needs either \"template\" (with \"data\") or inline \"content\"";
        Assert.Equal(Reason, reasons["null-template"]);
        Assert.Equal(Reason, reasons["no-template"]);
        Assert.Empty(await engine.SentEmailsAsync(peers));
    }
}
