using Messaging.Engine.Sending;

namespace Messaging.Engine.Tests.Sending;

/// <summary>Configured senders and configuration sets go into headers too: a bad one stops the engine at start.</summary>
public sealed class SendingOptionsValidationTests
{
    [Theory]
    [InlineData("shop@example.com, attacker@evil.com", "Engine:Sending:DefaultEmailFrom names more than one address")]
    [InlineData("Shop\r\n <shop@example.com>", "Engine:Sending:DefaultEmailFrom has a line break (U+000D)")]
    public void A_default_sender_that_is_not_exactly_one_address_is_refused(string from, string problem)
    {
        var options = new SendingOptions { DefaultEmailFrom = from };

        Assert.StartsWith(problem, Assert.Single(options.Validate()));
    }

    [Fact]
    public void Configuration_sets_that_are_not_names_are_refused_where_they_are_configured()
    {
        var options = new SendingOptions
        {
            DefaultEmailFrom = "Shop <shop@example.com>",
            DefaultConfigurationSet = "pool\nX-Evil: 1",
            ConfigurationSetByCategory = new(StringComparer.OrdinalIgnoreCase) { ["marketing"] = "marketing.pool", ["transactional"] = "transactional-pool" },
        };

        Assert.Equal(
        [
            "Engine:Sending:DefaultConfigurationSet may contain only letters, digits, '_' and '-', at most 64 characters.",
            "Engine:Sending:ConfigurationSetByCategory:marketing may contain only letters, digits, '_' and '-', at most 64 characters.",
        ], options.Validate());
    }
}
