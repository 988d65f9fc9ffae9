using Messaging.Contracts.Validation;

namespace Messaging.Contracts.Tests.Validation;

/// <summary>
/// <c>"victim"@example.com</c> is the mailbox victim@example.com (RFC 5321): accepted and normalized to one spelling, so
/// suppression holds; a quoted local part that cannot be written without quotes is refused.
/// </summary>
public sealed class QuotedLocalPartTests
{
    [Theory]
    [InlineData("\"victim\"@example.com", "victim@example.com")]
    [InlineData("\"Victim\"@Example.COM", "victim@example.com")]
    [InlineData("\"vic\\tim\"@example.com", "victim@example.com")]
    [InlineData("\"first.last\"@example.com", "first.last@example.com")]
    [InlineData("\"o'hara+news\"@example.com", "o'hara+news@example.com")]
    [InlineData("  Ana@Example.com ", "ana@example.com")]
    [InlineData("ana@example.com", "ana@example.com")]
    public void A_quoted_local_part_that_needs_no_quotes_is_accepted_and_normalized_to_its_plain_form(string address, string normalized)
    {
        Assert.Null(EmailAddressRule.Check(address.Trim()));
        Assert.Equal(normalized, EmailAddressRule.Normalize(address));
    }

    [Theory]
    [InlineData("\"john doe\"@example.com")]
    [InlineData("\"a@b\"@example.com")]
    [InlineData("\"a..b\"@example.com")]
    [InlineData("\".ana\"@example.com")]
    [InlineData("\"\"@example.com")]
    [InlineData("\"vic\ttim\"@example.com")]
    [InlineData("\"a,b\"@example.com")]
    public void A_quoted_local_part_that_needs_its_quotes_is_refused(string address)
    {
        Assert.StartsWith("has a quoted part before the '@' that cannot be written without quotes", EmailAddressRule.Check(address));
    }
}
