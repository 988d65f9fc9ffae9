using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Validation;

namespace Messaging.Contracts.Tests.Validation;

public sealed class RequestReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private const string ValidEmail = """
        { "schema": "messaging.request.v1", "messageId": "order-1234-shipped", "channel": "email",
          "to": "ana@example.com", "template": "order-shipped", "data": { "name": "Ana", "orderId": 1234 },
          "from": "Shop <shop@example.com>", "configurationSet": "transactional", "category": "transactional",
          "tags": { "campaign": "fall" }, "notBefore": "2026-12-01T09:00:00Z" }
        """;

    private const string ValidSms = """
        { "schema": "messaging.request.v1", "messageId": "otp-77", "channel": "sms", "to": "+15551234567",
          "content": { "text": "Your code is 123456" }, "category": "transactional", "tags": { "flow": "login otp" } }
        """;

    /// <summary>Each row: a name, an edit of a valid request (email unless it says sms), and the one problem expected.</summary>
    public static TheoryData<string, string, string, string> BadInputs() => new()
    {
        // Not a request at all.
        { "not JSON", Raw("{ \"schema\": "), "$", "is not valid JSON (line 1, byte 13)" },
        { "array at the top", Raw("[1,2]"), "$", "must be a JSON object, not an array" },
        { "string at the top", Raw("\"hello\""), "$", "must be a JSON object, not a string" },
        { "duplicate property", Email(r => r.Remove("tags")).Replace("\"to\":", "\"to\":\"x@example.com\",\"to\":", StringComparison.Ordinal), "$.to", "appears more than once" },
        { "duplicate content field", EmailContent(c => c.Remove("html")).Replace("\"text\":", "\"text\":\"a\",\"text\":", StringComparison.Ordinal), "$.content.text", "appears more than once" },
        // schema
        { "schema missing", Email(r => r.Remove("schema")), "$.schema", "is required; use \"messaging.request.v1\"" },
        { "schema unknown", Email(r => r["schema"] = "messaging.request.v2"), "$.schema", "is \"messaging.request.v2\", which this engine does not read; use \"messaging.request.v1\"" },
        { "schema a number", Email(r => r["schema"] = 1), "$.schema", "must be a string, not a number" },
        // messageId
        { "messageId missing", Email(r => r.Remove("messageId")), "$.messageId", "is required" },
        { "messageId null", Email(r => r["messageId"] = null), "$.messageId", "is required" },
        { "messageId empty", Email(r => r["messageId"] = ""), "$.messageId", "must not be empty" },
        { "messageId blank", Email(r => r["messageId"] = "   "), "$.messageId", "must not be empty" },
        { "messageId a number", Email(r => r["messageId"] = 1234), "$.messageId", "must be a string, not a number" },
        { "messageId an object", Email(r => r["messageId"] = new JsonObject()), "$.messageId", "must be a string, not an object" },
        { "messageId too long", Email(r => r["messageId"] = new string('a', 129)), "$.messageId", "is 129 characters; at most 128 are allowed" },
        { "messageId with a space", Email(r => r["messageId"] = "order 1"), "$.messageId", "may contain only letters, digits, '_' and '-' (it travels as an SES email tag value); found U+0020 at position 6" },
        { "messageId with a colon", Email(r => r["messageId"] = "order:1"), "$.messageId", "may contain only letters, digits, '_' and '-' (it travels as an SES email tag value); found ':' at position 6" },
        // channel
        { "channel missing", Email(r => r.Remove("channel")), "$.channel", "is required" },
        { "channel unknown", Email(r => r["channel"] = "fax"), "$.channel", "is \"fax\"; use \"email\" or \"sms\"" },
        { "channel upper case", Email(r => r["channel"] = "EMAIL"), "$.channel", "is \"EMAIL\"; use \"email\" or \"sms\"" },
        { "channel a boolean", Email(r => r["channel"] = true), "$.channel", "must be a string, not a boolean" },
        // to, email
        { "to missing", Email(r => r.Remove("to")), "$.to", "is required" },
        { "to without @", Email(r => r["to"] = "ana.example.com"), "$.to", "is not an email address: it has no '@'" },
        { "to with a display name", Email(r => r["to"] = "Ana <ana@example.com>"), "$.to", "must be a bare address such as ana@example.com, without a display name or angle brackets" },
        { "to without a top-level domain", Email(r => r["to"] = "ana@localhost"), "$.to", "needs a domain name with a top-level domain after the '@', such as example.com" },
        { "to with a non-ASCII local part", Email(r => r["to"] = "anä@example.com"), "$.to", "has non-ASCII characters before the '@'; SES cannot send to such addresses" },
        { "to with a non-ASCII domain", Email(r => r["to"] = "ana@exämple.com"), "$.to", "has a non-ASCII domain; write it in Punycode (xn--…)" },
        { "to with two @", Email(r => r["to"] = "ana@@example.com"), "$.to", "is not a valid email address" },
        { "to with a hyphen-edged domain part", Email(r => r["to"] = "ana@-example.com"), "$.to", "has a domain part that starts or ends with '-'" },
        { "to with a 65-character local part", Email(r => r["to"] = new string('a', 65) + "@example.com"), "$.to", "has 65 characters before the '@'; at most 64 are allowed" },
        { "to a phone number on email", Email(r => r["to"] = "+15551234567"), "$.to", "is not an email address: it has no '@'" },
        // to, sms
        { "sms to without +", Sms(r => r["to"] = "15551234567"), "$.to", "is not an E.164 phone number such as +15551234567: it must start with '+' and the country code" },
        { "sms to with spaces", Sms(r => r["to"] = "+1 555 123 4567"), "$.to", "is not an E.164 phone number such as +15551234567: only digits may follow the '+' (no spaces, dashes or brackets)" },
        { "sms to with a zero country code", Sms(r => r["to"] = "+0551234567"), "$.to", "is not an E.164 phone number such as +15551234567: the country code cannot start with 0" },
        { "sms to too long", Sms(r => r["to"] = "+1234567890123456"), "$.to", "is not an E.164 phone number such as +15551234567: it has 16 digits; E.164 numbers have 7 to 15" },
        { "sms to too short", Sms(r => r["to"] = "+12345"), "$.to", "is not an E.164 phone number such as +15551234567: it has 5 digits; E.164 numbers have 7 to 15" },
        { "sms to an email address", Sms(r => r["to"] = "ana@example.com"), "$.to", "is not an E.164 phone number such as +15551234567: it must start with '+' and the country code" },
        // template and content
        { "both template and content", Email(r => r["content"] = new JsonObject { ["subject"] = "s", ["text"] = "t" }), "$", "has both \"template\" and \"content\"; give exactly one" },
        { "neither template nor content", Email(r => { r.Remove("template"); r.Remove("data"); }), "$", "needs either \"template\" (with \"data\") or inline \"content\"" },
        { "template with a slash", Email(r => r["template"] = "orders/shipped"), "$.template", "may contain only letters, digits, '_' and '-', at most 64 characters" },
        { "template empty", Email(r => r["template"] = ""), "$.template", "must not be empty" },
        { "data an array", Email(r => r["data"] = new JsonArray(1, 2)), "$.data", "must be a JSON object of template variables, not an array" },
        { "data with inline content", Email(r => { r.Remove("template"); r["content"] = new JsonObject { ["subject"] = "s", ["text"] = "t" }; }), "$.data", "is only used with \"template\"; inline \"content\" is sent as written" },
        { "content a string", Sms(r => r["content"] = "hello"), "$.content", "must be a JSON object, not a string" },
        { "email content without subject", EmailContent(c => c.Remove("subject")), "$.content.subject", "is required for email" },
        { "email content without a body", EmailContent(c => { c.Remove("html"); c.Remove("text"); }), "$.content", "needs \"html\" or \"text\" (or both) for email" },
        { "email content with an unknown field", EmailContent(c => c["body"] = "x"), "$.content.body", "is not a field of content; use \"subject\", \"html\", \"text\"" },
        { "email content subject a number", EmailContent(c => c["subject"] = 5), "$.content.subject", "must be a string, not a number" },
        { "sms content without text", Sms(r => r["content"] = new JsonObject()), "$.content.text", "is required for SMS" },
        { "sms content with a subject", Sms(r => r["content"]!["subject"] = "Hi"), "$.content.subject", "is not used for SMS; put the whole message in \"text\"" },
        { "sms content with html", Sms(r => r["content"]!["html"] = "<p>Hi</p>"), "$.content.html", "is not used for SMS; put the whole message in \"text\"" },
        { "sms text too long", Sms(r => r["content"]!["text"] = new string('x', 1601)), "$.content.text", "is 1,601 characters; an SMS body can be at most 1,600" },
        { "sms text blank", Sms(r => r["content"]!["text"] = " \n "), "$.content.text", "must not be empty" },
        // from and configuration set
        { "from not an address", Email(r => r["from"] = "shop"), "$.from", "is not an email address: it has no '@'" },
        { "from a number", Email(r => r["from"] = 7), "$.from", "must be a string, not a number" },
        { "sms from with a space", Sms(r => r["from"] = "My Shop"), "$.from", "must be an SMS origination identity (phone number, sender ID, pool, or their ARNs): 1–256 of letters, digits, '_', ':', '/', '+', '-'" },
        { "configuration set with a dot", Email(r => r["configurationSet"] = "trans.actional"), "$.configurationSet", "may contain only letters, digits, '_' and '-', at most 64 characters" },
        // category
        { "category unknown", Email(r => r["category"] = "promo"), "$.category", "is \"promo\"; use \"transactional\" or \"marketing\"" },
        { "category an array", Email(r => r["category"] = new JsonArray()), "$.category", "must be a string, not an array" },
        // tags
        { "tags an array", Email(r => r["tags"] = new JsonArray("a")), "$.tags", "must be a JSON object of string values, not an array" },
        { "tag value a number", Email(r => r["tags"] = new JsonObject { ["n"] = 1 }), "$.tags.n", "must be a string, not a number" },
        { "email tag value with a dot", Email(r => r["tags"] = new JsonObject { ["campaign"] = "fall.2026" }), "$.tags.campaign", "has a value SES does not accept: use 1–256 letters, digits, '_' or '-'" },
        { "email tag name with a space", Email(r => r["tags"] = new JsonObject { ["my tag"] = "x" }), "$.tags['my tag']", "has a name SES does not accept: use 1–256 letters, digits, '_' or '-'" },
        { "reserved tag", Email(r => r["tags"] = new JsonObject { ["messageId"] = "x" }), "$.tags.messageId", "is reserved: the engine sets it to the request's messageId" },
        { "too many email tags", Email(r => r["tags"] = Tags(11)), "$.tags", "has 11 entries; at most 10 are allowed for email" },
        { "too many sms tags", Sms(r => r["tags"] = Tags(5)), "$.tags", "has 5 entries; at most 4 are allowed for SMS" },
        { "sms tag name with a space", Sms(r => r["tags"] = new JsonObject { ["my tag"] = "x" }), "$.tags['my tag']", "has a name SMS context does not accept: use 1–100 characters without spaces" },
        { "sms tag value too long", Sms(r => r["tags"] = new JsonObject { ["k"] = new string('v', 801) }), "$.tags.k", "has a value SMS context does not accept: use 1–800 characters" },
        // notBefore
        { "notBefore without an offset", Email(r => r["notBefore"] = "2026-12-01T09:00:00"), "$.notBefore", "must be an ISO 8601 date and time with an offset, such as 2026-12-01T09:00:00Z; \"2026-12-01T09:00:00\" has no offset" },
        { "notBefore a date only", Email(r => r["notBefore"] = "2026-12-01"), "$.notBefore", "must be an ISO 8601 date and time with an offset, such as 2026-12-01T09:00:00Z; got \"2026-12-01\"" },
        { "notBefore not a date", Email(r => r["notBefore"] = "tomorrow"), "$.notBefore", "must be an ISO 8601 date and time with an offset, such as 2026-12-01T09:00:00Z; got \"tomorrow\"" },
        { "notBefore a number", Email(r => r["notBefore"] = 1764579600), "$.notBefore", "must be a string, not a number" },
        { "notBefore too far ahead", Email(r => r["notBefore"] = "2026-12-07T08:00:01Z"), "$.notBefore", "is more than 14 days ahead; SQS keeps a request at most 14 days" },
        // unknown fields
        { "misspelt field", Email(r => r["tempalte"] = "x"), "$.tempalte", "is not a field of messaging.request.v1" },
        { "field name with a space", Email(r => r["send at"] = "x"), "$['send at']", "is not a field of messaging.request.v1" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_is_reported_with_its_path_and_exact_reason(string name, string body, string path, string reason)
    {
        var result = RequestReader.Read(body, Now);

        Assert.False(result.IsValid, name);
        Assert.Null(result.Request);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(new ValidationProblem(path, reason), problem);
    }

    [Fact]
    public void There_are_at_least_forty_bad_inputs() => Assert.True(BadInputs().Count >= 40);

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        const string Body = """
            { "schema": "messaging.request.v1", "messageId": "a b", "channel": "email", "to": "nobody",
              "template": "t", "content": { "text": "x" }, "category": "promo", "extra": 1 }
            """;

        var result = RequestReader.Read(Body, Now);

        Assert.Equal(
            [
                new("$.extra", "is not a field of messaging.request.v1"),
                new("$.messageId", "may contain only letters, digits, '_' and '-' (it travels as an SES email tag value); found U+0020 at position 2"),
                new("$.to", "is not an email address: it has no '@'"),
                new("$.content.subject", "is required for email"),
                new("$.category", "is \"promo\"; use \"transactional\" or \"marketing\""),
                new("$", "has both \"template\" and \"content\"; give exactly one"),
            ],
            result.Problems);
        Assert.Null(result.MessageId);
        Assert.Equal(Channel.Email, result.Channel);
        Assert.Null(result.To);
    }

    [Fact]
    public void A_rejected_request_keeps_its_identity_for_the_record()
    {
        var result = RequestReader.Read(Email(r => r["category"] = "promo"), Now);

        Assert.False(result.IsValid);
        Assert.Equal("order-1234-shipped", result.MessageId);
        Assert.Equal(Channel.Email, result.Channel);
        Assert.Equal("ana@example.com", result.To);
    }

    [Fact]
    public void A_body_over_one_mebibyte_is_refused_before_parsing()
    {
        var body = Email(r => r["data"] = new JsonObject { ["blob"] = new string('x', RequestReader.MaxBodyBytes) });

        var result = RequestReader.Read(body, Now);

        var problem = Assert.Single(result.Problems);
        Assert.Equal("$", problem.Path);
        Assert.Equal($"is {Encoding.UTF8.GetByteCount(body):N0} bytes; the largest request SQS can carry is 1,048,576 bytes (1 MiB)", problem.Reason);
    }

    [Fact]
    public void Size_is_counted_in_utf8_bytes_not_characters()
    {
        // 400,000 three-byte characters: 1.2 MB on the wire although under a million characters.
        var body = Email(r => r["data"] = new JsonObject { ["blob"] = new string('€', 400_000) });

        var result = RequestReader.Read(body, Now);

        Assert.StartsWith("is 1,200,", Assert.Single(result.Problems).Reason);
    }

    [Fact]
    public void Valid_email_request_is_read_in_full()
    {
        var result = RequestReader.Read(ValidEmail, Now);

        Assert.Empty(result.Problems);
        var request = Assert.IsType<MessageRequest>(result.Request);
        Assert.Equal("order-1234-shipped", request.MessageId);
        Assert.Equal(Channel.Email, request.Channel);
        Assert.Equal("ana@example.com", request.To);
        Assert.Equal("order-shipped", request.Template);
        Assert.Equal("Ana", request.Data!.Value.GetProperty("name").GetString());
        Assert.Equal(1234, request.Data.Value.GetProperty("orderId").GetInt32());
        Assert.Equal("Shop <shop@example.com>", request.From);
        Assert.Equal("transactional", request.ConfigurationSet);
        Assert.Equal(Category.Transactional, request.Category);
        Assert.Equal("fall", request.Tags!["campaign"]);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero), request.NotBefore);
    }

    [Fact]
    public void Valid_sms_request_is_read_in_full()
    {
        var result = RequestReader.Read(ValidSms, Now);

        var request = Assert.IsType<MessageRequest>(result.Request);
        Assert.Equal(Channel.Sms, request.Channel);
        Assert.Equal("+15551234567", request.To);
        Assert.Equal("Your code is 123456", request.Content!.Text);
        Assert.Equal("login otp", request.Tags!["flow"]);
    }

    [Fact]
    public void Recipient_is_trimmed_and_category_defaults_to_transactional()
    {
        var result = RequestReader.Read(Email(r => { r["to"] = "  ana@example.com "; r.Remove("category"); }), Now);

        Assert.Equal("ana@example.com", result.Request!.To);
        Assert.Equal(Category.Transactional, result.Request.Category);
    }

    [Fact]
    public void NotBefore_with_an_offset_is_kept_as_that_instant()
    {
        var result = RequestReader.Read(Email(r => r["notBefore"] = "2026-12-01T10:30:00.250+01:00"), Now);

        Assert.Equal(new DateTimeOffset(2026, 12, 1, 9, 30, 0, 250, TimeSpan.Zero), result.Request!.NotBefore);
    }

    [Fact]
    public void Utf8_bytes_and_string_bodies_read_the_same()
    {
        var fromString = RequestReader.Read(ValidSms, Now);
        var fromBytes = RequestReader.Read(Encoding.UTF8.GetBytes(ValidSms), Now);

        Assert.Equal(fromString.Request! with { Tags = null }, fromBytes.Request! with { Tags = null });
    }

    private static string Raw(string json) => json;

    private static string Email(Action<JsonObject> edit) => Edit(ValidEmail, edit);

    private static string Sms(Action<JsonObject> edit) => Edit(ValidSms, edit);

    private static string EmailContent(Action<JsonObject> edit) => Email(r =>
    {
        r.Remove("template");
        r.Remove("data");
        var content = new JsonObject { ["subject"] = "Shipped", ["html"] = "<p>Shipped</p>", ["text"] = "Shipped" };
        edit(content);
        r["content"] = content;
    });

    private static string Edit(string json, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        edit(root);
        return root.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private static JsonObject Tags(int count)
    {
        var tags = new JsonObject();
        for (var i = 0; i < count; i++)
        {
            tags[$"t{i}"] = "v";
        }

        return tags;
    }
}
