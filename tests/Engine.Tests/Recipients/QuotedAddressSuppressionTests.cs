using System.Text.Json.Nodes;
using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Messaging.Engine.Recipients.Entities;
using static Messaging.Testing.FeedbackSamples;

namespace Messaging.Engine.Tests.Recipients;

/// <summary>
/// <c>"victim"@example.com</c> is the mailbox victim@example.com: suppression of either spelling holds for both, through
/// requests and through feedback addressed to either spelling.
/// </summary>
public sealed class QuotedAddressSuppressionTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static string Email(string messageId, string to) => new JsonObject
    {
        ["schema"] = "messaging.request.v1",
        ["messageId"] = messageId,
        ["channel"] = "email",
        ["to"] = to,
        ["content"] = new JsonObject { ["subject"] = "Hello", ["text"] = "Hi there" },
    }.ToJsonString();

    private static async Task<MessageRecord> StatusAsync(EngineUnderTest engine, string messageId, string status)
    {
        var journal = engine.Services.GetRequiredService<IJournal>();
        MessageRecord? record = null;
        await AwaitCondition.UntilAsync(async () => (record = await journal.FindMessageAsync(messageId, default))?.Status == status,
            Deadline, $"{messageId} becomes {status} (is {record?.Status})");
        return record!;
    }

    [Fact]
    public async Task Requests_to_quoted_spellings_of_a_suppressed_address_are_suppressed_and_nothing_is_sent()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var domain = engine.Address("x").Split('@')[1];
        await engine.AskRecipientAsync<SuppressionChange>(new SuppressByOperator(RecipientKey.For(Channel.Email, $"victim@{domain}"), "ops@example.com", "asked by phone"));

        await engine.EnqueueAsync(
        [
            Email("quoted", $"\"victim\"@{domain}"),
            Email("quoted-upper", $"\"Victim\"@{domain.ToUpperInvariant()}"),
            Email("quoted-escaped", $"\"vic\\tim\"@{domain}"),
        ]);

        foreach (var id in new[] { "quoted", "quoted-upper", "quoted-escaped" })
        {
            var record = await StatusAsync(engine, id, "suppressed");
            Assert.Equal($"email:victim@{domain}", record.RecipientKey);
        }

        Assert.Empty(await engine.SentEmailsAsync(peers));
    }

    [Fact]
    public async Task A_bounce_for_the_quoted_spelling_suppresses_the_plain_one()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var quoted = $"\"gone\"@{engine.Prefix}.test";
        await engine.EnqueueAsync([Email("to-quoted", quoted)]);
        var sent = await StatusAsync(engine, "to-quoted", "sent");

        await engine.PublishFeedbackAsync(Sns(SesEvent("Bounce", Mail(quoted, sent.ProviderMessageId!, "to-quoted"), "bounce",
            Bounce("Permanent", "General", DateTimeOffset.UtcNow, quoted))));
        await StatusAsync(engine, "to-quoted", "bounced");
        await engine.EnqueueAsync([Email("to-plain", engine.Address("gone"))]);

        var plain = await StatusAsync(engine, "to-plain", "suppressed");
        Assert.Contains("suppressed (PermanentBounce", plain.Reason);
        Assert.Single(await engine.SentEmailsAsync(peers));
    }

    [Fact]
    public async Task A_complaint_for_the_plain_spelling_suppresses_the_quoted_one()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        var plain = engine.Address("angry");
        await engine.EnqueueAsync([Email("to-plain", plain)]);
        var sent = await StatusAsync(engine, "to-plain", "sent");

        await engine.PublishFeedbackAsync(Sns(SesEvent("Complaint", Mail(plain, sent.ProviderMessageId!, "to-plain"), "complaint",
            Complaint(DateTimeOffset.UtcNow, plain))));
        await StatusAsync(engine, "to-plain", "complained");
        await engine.EnqueueAsync([Email("to-quoted", $"\"Angry\"@{engine.Prefix}.test")]);

        var quoted = await StatusAsync(engine, "to-quoted", "suppressed");
        Assert.Contains("suppressed (Complaint", quoted.Reason);
        Assert.Single(await engine.SentEmailsAsync(peers));
    }
}
