using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Messaging.Engine.Recipients.Entities;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>What the recipient actor decides before sending, seen end to end: suppression, caps, schedules, content.</summary>
public sealed class DeliveryRulesTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static async Task<MessageRecord> SettledRecordAsync(EngineUnderTest engine, string messageId, params string[] statuses)
    {
        var journal = engine.Services.GetRequiredService<IJournal>();
        MessageRecord? record = null;
        await AwaitCondition.UntilAsync(async () =>
        {
            record = await journal.FindMessageAsync(messageId, default);
            return record is not null && statuses.Contains(record.Status);
        }, Deadline, $"{messageId} becomes {string.Join(" or ", statuses)}");
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0, Deadline, "the request is finished with");
        return record!;
    }

    [Fact]
    public async Task A_suppressed_recipient_gets_nothing_and_the_request_is_recorded_as_suppressed_not_dead_lettered()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var to = engine.Address("gone");
        await engine.AskRecipientAsync<SuppressionChange>(new SuppressByOperator(RecipientKey.For(Channel.Email, to), "ops@example.com", "asked by phone"));

        await engine.EnqueueAsync([EngineUnderTest.EmailRequest("to-suppressed", to)]);

        var record = await SettledRecordAsync(engine, "to-suppressed", "suppressed");
        Assert.Contains("suppressed (Operator)", record.Reason);
        Assert.Empty(await engine.SentEmailsAsync(peers));
        Assert.Empty(await engine.TakeDeadLettersAsync());
    }

    [Fact]
    public async Task A_daily_marketing_cap_of_two_lets_two_through_and_rejects_the_third_while_transactional_mail_flows()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers,
            new Dictionary<string, string?> { ["Engine:Sending:DailyCapByCategory:marketing"] = "2" });
        var to = engine.Address("fan");
        string Marketing(string id) => $$$"""{"schema":"messaging.request.v1","messageId":"{{{id}}}","channel":"email","to":"{{{to}}}","category":"marketing","content":{"subject":"Sale","text":"20% off"}}""";

        await engine.EnqueueAsync([Marketing("promo-1")]);
        await SettledRecordAsync(engine, "promo-1", "sent");
        await engine.EnqueueAsync([Marketing("promo-2")]);
        await SettledRecordAsync(engine, "promo-2", "sent");
        await engine.EnqueueAsync([Marketing("promo-3"), EngineUnderTest.EmailRequest("receipt", to)]);

        var third = await SettledRecordAsync(engine, "promo-3", "rejected");
        Assert.Contains("frequency cap: at most 2 marketing", third.Reason);
        await SettledRecordAsync(engine, "receipt", "sent");
        Assert.Equal(3, (await engine.SentEmailsAsync(peers)).Count);
    }

    [Fact]
    public async Task A_request_for_later_waits_on_its_queue_and_is_sent_when_due()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var due = DateTimeOffset.UtcNow.AddSeconds(4);
        var request = $$$"""{"schema":"messaging.request.v1","messageId":"later","channel":"email","to":"{{{engine.Address("patient")}}}","notBefore":"{{{due:O}}}","content":{"subject":"Reminder","text":"It is time"}}""";

        await engine.EnqueueAsync([request]);

        var journal = engine.Services.GetRequiredService<IJournal>();
        await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync("later", default))?.Status == "scheduled", Deadline, "the request is scheduled");
        Assert.Empty(await engine.SentEmailsAsync(peers));
        await SettledRecordAsync(engine, "later", "sent");
        Assert.True(DateTimeOffset.UtcNow >= due, "sent before it was due");
        Assert.Single(await engine.SentEmailsAsync(peers));
    }

    [Fact]
    public async Task A_request_naming_a_template_that_does_not_exist_is_rejected_with_the_reason_not_retried()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var request = $$$"""{"schema":"messaging.request.v1","messageId":"templated","channel":"email","to":"{{{engine.Address("ana")}}}","template":"order-shipped","data":{"orderId":1}}""";

        await engine.EnqueueAsync([request]);

        var record = await SettledRecordAsync(engine, "templated", "rejected");
        Assert.Contains("template 'order-shipped' not found", record.Reason);
        Assert.Empty(await engine.TakeDeadLettersAsync());
    }

    [Fact]
    public async Task An_invalid_request_that_names_a_valid_recipient_is_dead_lettered_and_also_recorded_in_their_history()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var request = $$$"""{"schema":"messaging.request.v1","messageId":"bad-category","channel":"email","to":"{{{engine.Address("ana")}}}","category":"spam","content":{"subject":"s","text":"t"}}""";

        await engine.EnqueueAsync([request]);

        var record = await SettledRecordAsync(engine, "bad-category", "rejected");
        Assert.Contains("invalid request", record.Reason);
        Assert.Contains("$.category", record.Reason);
        await AwaitCondition.UntilAsync(async () => (await engine.TakeDeadLettersAsync()).Count == 1, Deadline, "the request is dead-lettered too");
        Assert.Empty(await engine.SentEmailsAsync(peers));
    }

    [Fact]
    public async Task A_request_refused_for_its_content_does_not_spend_its_message_id_and_the_corrected_copy_is_sent_once()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var to = engine.Address("ana");
        var unknownTemplate = $$$"""{"schema":"messaging.request.v1","messageId":"fix-template","channel":"email","to":"{{{to}}}","category":"marketing","template":"no-such-template","data":{}}""";
        var badField = $$$"""{"schema":"messaging.request.v1","messageId":"fix-field","channel":"email","to":"{{{to}}}","category":"spam","content":{"subject":"s","text":"t"}}""";

        await engine.EnqueueAsync([unknownTemplate, badField]);
        Assert.Contains("no-such-template", (await SettledRecordAsync(engine, "fix-template", "rejected")).Reason);
        Assert.Contains("$.category", (await SettledRecordAsync(engine, "fix-field", "rejected")).Reason);
        await AwaitCondition.UntilAsync(async () => (await engine.TakeDeadLettersAsync()).Count == 1, Deadline, "the unreadable request is dead-lettered");

        // The producer fixes both and sends them again under the same ids, twice each: one email per id.
        var fixedTemplate = EngineUnderTest.EmailRequest("fix-template", to, "Fixed template");
        var fixedField = EngineUnderTest.EmailRequest("fix-field", to, "Fixed field");
        await engine.EnqueueAsync([fixedTemplate, fixedField]);
        await SettledRecordAsync(engine, "fix-template", "sent");
        await SettledRecordAsync(engine, "fix-field", "sent");
        await engine.EnqueueAsync([fixedTemplate, fixedField]);
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0, Deadline, "the repeats are finished with");

        var subjects = (await engine.SentEmailsAsync(peers)).Select(e => e.GetProperty("subject").GetString()).Order().ToList();
        Assert.Equal(["Fixed field", "Fixed template"], subjects);

        // The rejections stay in the recipient's history, with their reasons.
        var history = await engine.AskRecipientAsync<RecipientSnapshot>(new QueryRecipient(RecipientKey.For(Channel.Email, to)));
        Assert.Equal(MessageStatus.Sent, history.State.Find("fix-template")!.Status);
        var journal = engine.Services.GetRequiredService<IJournal>();
        var events = await journal.ReadEntityEventsAsync(RecipientKey.For(Channel.Email, to).ToString(), 1, default);
        Assert.Equal(2, events.Count(e => e.Type == "recipient.rejected.v1"));
    }

    [Fact]
    public async Task One_message_id_sent_to_two_recipients_at_once_is_sent_once()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var ids = Enumerable.Range(0, 20).Select(i => $"twin-{i}").ToList();

        await engine.EnqueueAsync(ids.SelectMany(id => new[]
        {
            EngineUnderTest.EmailRequest(id, engine.Address($"left-{id}")),
            EngineUnderTest.EmailRequest(id, engine.Address($"right-{id}")),
        }));

        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0, Deadline, "all 40 requests are finished with");
        var journal = engine.Services.GetRequiredService<IJournal>();
        foreach (var id in ids)
        {
            Assert.Equal("sent", (await journal.FindMessageAsync(id, default))!.Status);
        }

        Assert.Equal(20, (await engine.SentEmailsAsync(peers)).Count);
        Assert.Empty(await engine.TakeDeadLettersAsync());
    }
}
