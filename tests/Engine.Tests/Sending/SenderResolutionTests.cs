using Messaging.Contracts.Requests;
using Messaging.Engine.Sending;
using Messaging.Engine.Templates;

namespace Messaging.Engine.Tests.Sending;

/// <summary>
/// Sender = request → template → configured default. Configuration set = request → template → category mapping →
/// configured default. Every row names which level answers.
/// </summary>
public sealed class SenderResolutionTests
{
    private static readonly SendingOptions Options = new()
    {
        DefaultEmailFrom = "default@example.com",
        DefaultSmsOrigination = "+15550000",
        DefaultConfigurationSet = "default-set",
        ConfigurationSetByCategory = new(StringComparer.OrdinalIgnoreCase) { ["marketing"] = "marketing-pool" },
    };

    public static TheoryData<string, Channel, Category, string?, string?, string?, string?, string?, string?> Rows => new()
    {
        // case, channel, category, request from, request set, template from, template set, expected from, expected set
        { "request wins over everything", Channel.Email, Category.Marketing, "req@example.com", "req-set", "tpl@example.com", "tpl-set", "req@example.com", "req-set" },
        { "template when the request is silent", Channel.Email, Category.Marketing, null, null, "tpl@example.com", "tpl-set", "tpl@example.com", "tpl-set" },
        { "category mapping below the template", Channel.Email, Category.Marketing, null, null, "tpl@example.com", null, "tpl@example.com", "marketing-pool" },
        { "defaults when nothing else says", Channel.Email, Category.Transactional, null, null, null, null, "default@example.com", "default-set" },
        { "transactional has no mapping: default set", Channel.Email, Category.Transactional, null, null, "tpl@example.com", null, "tpl@example.com", "default-set" },
        { "inline content (no template), marketing", Channel.Email, Category.Marketing, null, null, null, null, "default@example.com", "marketing-pool" },
        { "request set beats the category mapping", Channel.Email, Category.Marketing, null, "req-set", null, null, "default@example.com", "req-set" },
        { "sms: origination default", Channel.Sms, Category.Transactional, null, null, null, null, "+15550000", "default-set" },
        { "sms: template origination", Channel.Sms, Category.Transactional, null, null, "+15551111", "otp-set", "+15551111", "otp-set" },
        { "sms: request origination", Channel.Sms, Category.Marketing, "+15552222", null, "+15551111", null, "+15552222", "marketing-pool" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void The_first_level_that_names_a_sender_or_set_answers(
        string @case, Channel channel, Category category, string? requestFrom, string? requestSet, string? templateFrom,
        string? templateSet, string? expectedFrom, string? expectedSet)
    {
        var request = new MessageRequest
        {
            MessageId = "m1",
            Channel = channel,
            To = channel == Channel.Email ? "ana@example.com" : "+15559999",
            Category = category,
            From = requestFrom,
            ConfigurationSet = requestSet,
        };
        var template = templateFrom is null && templateSet is null ? null : new TemplateDefinition(channel, From: templateFrom, ConfigurationSet: templateSet);

        var (from, set) = MessageRenderer.Resolve(request, template, Options);

        Assert.True((expectedFrom, expectedSet) == (from, set), $"{@case}: expected {expectedFrom}/{expectedSet}, got {from}/{set}");
    }
}
