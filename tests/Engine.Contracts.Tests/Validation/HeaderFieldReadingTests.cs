using System.Text.Json.Nodes;
using Messaging.Contracts.Validation;

namespace Messaging.Contracts.Tests.Validation;

/// <summary>What the reader refuses in header-bound fields (subject, sender), and "template": null read as no template.</summary>
public sealed class HeaderFieldReadingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private static string Request(Action<JsonObject> edit)
    {
        var request = new JsonObject
        {
            ["schema"] = "messaging.request.v1",
            ["messageId"] = "m-1",
            ["channel"] = "email",
            ["to"] = "ana@example.com",
            ["content"] = new JsonObject { ["subject"] = "Your order", ["text"] = "Shipped" },
        };
        edit(request);
        return request.ToJsonString();
    }

    private static ValidationProblem SingleProblem(string body)
    {
        var result = RequestReader.Read(body, Now);
        Assert.False(result.IsValid);
        return Assert.Single(result.Problems);
    }

    [Theory]
    [InlineData("Hi\r\nBcc: x@y.com", "has a line break (U+000D) at position 3; it goes into a mail header, which must be one line")]
    [InlineData("Hi\nthere", "has a line break (U+000A) at position 3; it goes into a mail header, which must be one line")]
    [InlineData("Hi\u2028there", "has a line break (U+2028) at position 3; it goes into a mail header, which must be one line")]
    [InlineData("Hi\u0000", "has a control character (U+0000) at position 3; it goes into a mail header, which allows none (tabs included)")]
    [InlineData("Hi\tthere", "has a control character (U+0009) at position 3; it goes into a mail header, which allows none (tabs included)")]
    [InlineData("Hi\u001bthere", "has a control character (U+001B) at position 3; it goes into a mail header, which allows none (tabs included)")]
    public void An_inline_subject_with_a_line_break_or_control_character_is_refused(string subject, string reason)
    {
        var body = Request(r => r["content"]!["subject"] = subject);

        Assert.Equal(new ValidationProblem("$.content.subject", reason), SingleProblem(body));
    }

    [Theory]
    [InlineData("shop@example.com, attacker@evil.com")]
    [InlineData("Shop <shop@example.com>, Evil <attacker@evil.com>")]
    [InlineData("Shop\r\nBcc: x@y.com <shop@example.com>")]
    public void A_from_that_is_not_exactly_one_sender_is_refused_on_its_raw_text(string from)
    {
        var body = Request(r => r["from"] = from);

        var problem = SingleProblem(body);
        Assert.Equal("$.from", problem.Path);
        Assert.Equal(EmailAddressRule.CheckSender(from), problem.Reason);
    }

    [Fact]
    public void A_null_template_without_content_is_refused_as_a_request_without_either()
    {
        var withNull = Request(r => { r.Remove("content"); r["template"] = null; });
        var without = Request(r => r.Remove("content"));

        Assert.Equal(new ValidationProblem("$", "needs either \"template\" (with \"data\") or inline \"content\""), SingleProblem(withNull));
        Assert.Equal(SingleProblem(without), SingleProblem(withNull));
    }

    [Fact]
    public void A_null_template_beside_content_is_no_template()
    {
        var result = RequestReader.Read(Request(r => r["template"] = null), Now);

        Assert.True(result.IsValid, result.Describe());
        Assert.Null(result.Request!.Template);
        Assert.Equal("Your order", result.Request.Content!.Subject);
    }

    [Fact]
    public void A_null_content_beside_a_template_is_no_content()
    {
        var result = RequestReader.Read(Request(r => { r["content"] = null; r["template"] = "order-shipped"; }), Now);

        Assert.True(result.IsValid, result.Describe());
        Assert.Equal("order-shipped", result.Request!.Template);
        Assert.Null(result.Request.Content);
    }
}
