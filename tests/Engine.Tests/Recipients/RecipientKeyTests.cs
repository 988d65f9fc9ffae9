using Messaging.Contracts.Requests;
using Messaging.Engine.Recipients;

namespace Messaging.Engine.Tests.Recipients;

public sealed class RecipientKeyTests
{
    [Theory]
    [InlineData(Channel.Email, "  Ana@Example.COM ", "email:ana@example.com")]
    [InlineData(Channel.Email, "ana@example.com", "email:ana@example.com")]
    [InlineData(Channel.Email, "\"Ana\"@Example.COM", "email:ana@example.com")]
    [InlineData(Channel.Email, "\"a\\na\"@example.com", "email:ana@example.com")]
    [InlineData(Channel.Sms, " +15551234567 ", "sms:+15551234567")]
    public void For_normalizes_the_address_so_one_person_has_one_key(Channel channel, string address, string expected)
    {
        Assert.Equal(expected, RecipientKey.For(channel, address).ToString());
    }

    [Fact]
    public void Keys_for_the_same_person_written_differently_are_equal()
    {
        Assert.Equal(RecipientKey.For(Channel.Email, "ANA@example.com"), RecipientKey.For(Channel.Email, "ana@EXAMPLE.com "));
        Assert.NotEqual(RecipientKey.For(Channel.Email, "a@x.test"), RecipientKey.For(Channel.Email, "b@x.test"));
    }

    [Theory]
    [InlineData("email:Ana@Example.com", true, "email:ana@example.com")]
    [InlineData("email:\"ana\"@example.com", true, "email:ana@example.com")]
    [InlineData("sms:+15551234567", true, "sms:+15551234567")]
    [InlineData("fax:+15551234567", false, null)]
    [InlineData("email:", false, null)]
    [InlineData("email:  ", false, null)]
    [InlineData("ana@example.com", false, null)]
    [InlineData("", false, null)]
    [InlineData(null, false, null)]
    public void TryParse_reads_what_ToString_writes_and_refuses_anything_else(string? text, bool ok, string? expected)
    {
        Assert.Equal(ok, RecipientKey.TryParse(text, out var key));
        if (ok)
        {
            Assert.Equal(expected, key.ToString());
        }
    }
}
