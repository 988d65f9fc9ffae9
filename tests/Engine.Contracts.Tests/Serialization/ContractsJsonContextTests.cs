using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Serialization;
using Messaging.Contracts.Status;
using Messaging.Contracts.Validation;

namespace Messaging.Contracts.Tests.Serialization;

public sealed class ContractsJsonContextTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_request_written_with_the_context_is_read_back_unchanged()
    {
        var request = new MessageRequest
        {
            MessageId = "welcome-42",
            Channel = Channel.Email,
            To = "ana@example.com",
            Template = "welcome",
            Data = JsonDocument.Parse("""{"name":"Ana","items":[1,2]}""").RootElement,
            Category = Category.Marketing,
            ConfigurationSet = "marketing",
            Tags = new Dictionary<string, string> { ["campaign"] = "fall" },
            NotBefore = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero),
        };

        var json = JsonSerializer.Serialize(request, ContractsJsonContext.Default.MessageRequest);
        var read = RequestReader.Read(json, Now);

        Assert.Empty(read.Problems);
        Assert.Equal(json, JsonSerializer.Serialize(read.Request!, ContractsJsonContext.Default.MessageRequest));
        Assert.Contains("\"schema\":\"messaging.request.v1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"channel\":\"email\"", json, StringComparison.Ordinal);
        Assert.Contains("\"category\":\"marketing\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"content\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_status_event_uses_camel_case_names_and_enum_values()
    {
        var changed = new MessageStatusChanged
        {
            MessageId = "welcome-42",
            Channel = Channel.Sms,
            To = "+15551234567",
            Status = MessageStatus.SoftBounced,
            PreviousStatus = MessageStatus.Sent,
            Reason = "MailboxFull",
            OccurredAt = Now,
        };

        var json = JsonSerializer.Serialize(changed, ContractsJsonContext.Default.MessageStatusChanged);

        using var document = JsonDocument.Parse(json);
        var names = document.RootElement.EnumerateObject().Select(p => $"{p.Name}={p.Value}").ToArray();
        Assert.Equal(
            ["schema=messaging.status.v1", "messageId=welcome-42", "channel=sms", "to=+15551234567", "status=softBounced",
             "previousStatus=sent", "reason=MailboxFull", "occurredAt=2026-11-22T08:00:00+00:00"],
            names);
        Assert.Equal(changed, JsonSerializer.Deserialize(json, ContractsJsonContext.Default.MessageStatusChanged));
    }
}
