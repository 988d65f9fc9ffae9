using Messaging.Contracts.Validation;

namespace Messaging.Contracts.Tests.Validation;

/// <summary>A sender is exactly one address, optionally with a display name, judged on the raw text that goes to SES.</summary>
public sealed class SenderRuleTests
{
    [Theory]
    [InlineData("shop@example.com")]
    [InlineData("Shop <shop@example.com>")]
    [InlineData("Example Shop <shop@example.com>")]
    [InlineData("J. Smith <j.smith@example.com>")]
    [InlineData("\"Shop, Inc\" <shop@example.com>")]
    [InlineData("\"Shop \\\"best\\\" Inc\" <shop@example.com>")]
    [InlineData("<shop@example.com>")]
    [InlineData("Loja Açores <loja@example.com>")]
    public void One_address_with_or_without_a_display_name_is_a_sender(string sender)
    {
        Assert.Null(EmailAddressRule.CheckSender(sender));
    }

    [Theory]
    [InlineData("shop@example.com, attacker@evil.com", "names more than one address (there is a ',' outside quotes)")]
    [InlineData("Shop <shop@example.com>, Evil <attacker@evil.com>", "names more than one address (there is a ',' outside quotes)")]
    [InlineData("\"Shop\" <shop@example.com>, attacker@evil.com", "names more than one address (there is a ',' outside quotes)")]
    [InlineData("shop@example.com; attacker@evil.com", "names more than one address (there is a ';' outside quotes)")]
    [InlineData("Shop <shop@example.com> <attacker@evil.com>", "names more than one address (there are two '<')")]
    [InlineData("Shop, Inc <shop@example.com>", "names more than one address (there is a ',' outside quotes)")]
    [InlineData("Shop <shop@example.com> attacker@evil.com", "must end with the address in angle brackets")]
    [InlineData("shop@example.com (Shop)", "has a comment in parentheses")]
    [InlineData("Shop <shop@example.com>>", "has a '>' without its '<'")]
    [InlineData("\"Shop <shop@example.com>", "has a '\"' that is never closed")]
    [InlineData("\"Shop\" Inc <shop@example.com>", "has text outside the quotes of its display name")]
    [InlineData("Shop: Lisbon <shop@example.com>", "has ':' in its display name")]
    [InlineData("shop@example.com <attacker@evil.com>", "has '@' in its display name")]
    [InlineData("Shop <not-an-address>", "has an address in angle brackets that is not an email address: it has no '@'")]
    [InlineData("Shop <\"a b\"@example.com>", "has an address in angle brackets that has a quoted part before the '@'")]
    [InlineData("Shop\r\nBcc: x@y.com <shop@example.com>", "has a line break (U+000D) at position 5")]
    [InlineData("shop@example.com\nBcc: x@y.com", "has a line break (U+000A) at position 17")]
    [InlineData("Shop\t<shop@example.com>", "has a control character (U+0009) at position 5")]
    [InlineData("Shop\u0085 <shop@example.com>", "has a line break (U+0085) at position 5")]
    public void Anything_but_exactly_one_sender_is_refused_with_the_reason(string sender, string reason)
    {
        Assert.StartsWith(reason, EmailAddressRule.CheckSender(sender));
    }
}
