using System.Globalization;
using System.Text;
using System.Text.Json;
using Messaging.Contracts.Requests;

namespace Messaging.Contracts.Validation;

/// <summary>
/// Reads a v1 request body and reports every problem with it, each with its JSON path and a reason
/// a producer can act on. JSON parsing is System.Text.Json's; this type only walks the document,
/// so that one bad field does not hide the next one, as a plain deserializer's first exception would.
/// </summary>
public static class RequestReader
{
    /// <summary>The largest body SQS carries: 1 MiB, counted in UTF-8 bytes.</summary>
    public const int MaxBodyBytes = 1_048_576;

    /// <summary>Longest <c>messageId</c>.</summary>
    public const int MaxMessageIdLength = 128;

    /// <summary>Longest SMS body End User Messaging accepts.</summary>
    public const int MaxSmsTextLength = 1_600;

    /// <summary>SQS keeps a message at most 14 days, so a request cannot wait longer than that.</summary>
    public static readonly TimeSpan MaxScheduleAhead = TimeSpan.FromDays(14);

    /// <summary>Most tags on an email request (the engine adds its own).</summary>
    public const int MaxEmailTags = 10;

    /// <summary>Most tags on an SMS request: SMS context holds five entries and the engine uses one.</summary>
    public const int MaxSmsTags = 4;

    /// <summary>The tag name the engine uses for the message id; producers cannot set it.</summary>
    public const string ReservedTagName = "messageId";

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = 32,
    };

    private static readonly string[] ContentFields = ["subject", "html", "text"];

    /// <summary>Reads a request body as it arrives from SQS.</summary>
    /// <param name="body">The message body.</param>
    /// <param name="now">The current time, to check <c>notBefore</c> against.</param>
    public static RequestReadResult Read(string body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(body);
        var size = Encoding.UTF8.GetByteCount(body);
        if (size > MaxBodyBytes)
        {
            return Oversize(size);
        }

        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var written = Encoding.UTF8.GetBytes(body, buffer);
            return Read(buffer.AsMemory(0, written), now);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads a UTF-8 request body.</summary>
    /// <param name="utf8Body">The message body as UTF-8 bytes.</param>
    /// <param name="now">The current time, to check <c>notBefore</c> against.</param>
    public static RequestReadResult Read(ReadOnlyMemory<byte> utf8Body, DateTimeOffset now)
    {
        if (utf8Body.Length > MaxBodyBytes)
        {
            return Oversize(utf8Body.Length);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line
                ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})"
                : string.Empty;
            return Failed([new("$", $"is not valid JSON{where}")]);
        }

        using (document)
        {
            return new Walker(now).Read(document.RootElement);
        }
    }

    private static RequestReadResult Oversize(long size) =>
        Failed([new("$", $"is {size:N0} bytes; the largest request SQS can carry is {MaxBodyBytes:N0} bytes (1 MiB)")]);

    private static RequestReadResult Failed(List<ValidationProblem> problems) => new() { Problems = problems };

    /// <summary>One pass over one document, collecting problems as it goes.</summary>
    private sealed class Walker(DateTimeOffset now)
    {
        private readonly List<ValidationProblem> _problems = [];

        public RequestReadResult Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Failed([new("$", $"must be a JSON object, not {Describe(root)}")]);
            }

            var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!fields.TryAdd(property.Name, property.Value))
                {
                    Problem(Path("$", property.Name), "appears more than once");
                }
            }

            var schema = ReadSchema(fields);
            if (schema is not null && schema != MessageRequest.SchemaV1)
            {
                // Another schema's fields mean other things: reporting them against v1 would mislead.
                return Failed(_problems);
            }

            foreach (var name in fields.Keys)
            {
                if (!IsKnownField(name))
                {
                    Problem(Path("$", name), $"is not a field of {MessageRequest.SchemaV1}");
                }
            }

            var messageId = ReadMessageId(fields);
            var channel = ReadChannel(fields);
            var to = ReadTo(fields, channel);
            // null stands for an absent field, as it does for every optional one: "template": null is no template.
            var hasTemplate = IsGiven(fields, "template");
            var hasContent = IsGiven(fields, "content");
            var template = ReadName(fields, "template", 64);
            var data = ReadData(fields, hasTemplate);
            var content = ReadContent(fields, channel);
            var from = ReadFrom(fields, channel);
            var configurationSet = ReadName(fields, "configurationSet", 64);
            var category = ReadCategory(fields);
            var tags = ReadTags(fields, channel);
            var notBefore = ReadNotBefore(fields);

            if (hasTemplate && hasContent)
            {
                Problem("$", "has both \"template\" and \"content\"; give exactly one");
            }
            else if (!hasTemplate && !hasContent)
            {
                Problem("$", "needs either \"template\" (with \"data\") or inline \"content\"");
            }

            var result = new RequestReadResult
            {
                Problems = _problems,
                MessageId = messageId,
                Channel = channel,
                To = to,
            };
            if (_problems.Count > 0)
            {
                return result;
            }

            return result with
            {
                Request = new MessageRequest
                {
                    MessageId = messageId!,
                    Channel = channel!.Value,
                    To = to!,
                    Template = template,
                    Data = data,
                    Content = content,
                    From = from,
                    ConfigurationSet = configurationSet,
                    Category = category ?? Category.Transactional,
                    Tags = tags,
                    NotBefore = notBefore,
                },
            };
        }

        private static bool IsGiven(Dictionary<string, JsonElement> fields, string name) =>
            fields.TryGetValue(name, out var element) && element.ValueKind != JsonValueKind.Null;

        private static bool IsKnownField(string name) => name is "schema" or "messageId" or "channel" or "to"
            or "template" or "data" or "content" or "from" or "configurationSet" or "category" or "tags" or "notBefore";

        private string? ReadSchema(Dictionary<string, JsonElement> fields)
        {
            if (!fields.TryGetValue("schema", out var element))
            {
                Problem("$.schema", $"is required; use \"{MessageRequest.SchemaV1}\"");
                return null;
            }

            var schema = String(element, "$.schema");
            if (schema is not null && schema != MessageRequest.SchemaV1)
            {
                Problem("$.schema", $"is \"{Shorten(schema)}\", which this engine does not read; use \"{MessageRequest.SchemaV1}\"");
            }

            return schema;
        }

        private string? ReadMessageId(Dictionary<string, JsonElement> fields)
        {
            var id = RequiredString(fields, "messageId");
            if (id is null)
            {
                return null;
            }

            if (id.Length > MaxMessageIdLength)
            {
                return Problem("$.messageId", $"is {id.Length} characters; at most {MaxMessageIdLength} are allowed");
            }

            for (var i = 0; i < id.Length; i++)
            {
                if (!IsTagCharacter(id[i]))
                {
                    return Problem(
                        "$.messageId",
                        $"may contain only letters, digits, '_' and '-' (it travels as an SES email tag value); found {Quote(id[i])} at position {i + 1}");
                }
            }

            return id;
        }

        private Channel? ReadChannel(Dictionary<string, JsonElement> fields)
        {
            var value = RequiredString(fields, "channel");
            return value switch
            {
                null => null,
                "email" => Requests.Channel.Email,
                "sms" => Requests.Channel.Sms,
                _ => ProblemValue<Channel>("$.channel", $"is \"{Shorten(value)}\"; use \"email\" or \"sms\""),
            };
        }

        private string? ReadTo(Dictionary<string, JsonElement> fields, Channel? channel)
        {
            var value = RequiredString(fields, "to")?.Trim();
            if (value is null || channel is null)
            {
                return null;
            }

            var reason = channel == Requests.Channel.Email ? EmailAddressRule.Check(value) : PhoneNumberRule.Check(value);
            return reason is null ? value : Problem("$.to", reason);
        }

        private JsonElement? ReadData(Dictionary<string, JsonElement> fields, bool hasTemplate)
        {
            if (!fields.TryGetValue("data", out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                Problem("$.data", $"must be a JSON object of template variables, not {Describe(element)}");
                return null;
            }

            if (!hasTemplate)
            {
                Problem("$.data", "is only used with \"template\"; inline \"content\" is sent as written");
                return null;
            }

            return element.Clone();
        }

        private MessageContent? ReadContent(Dictionary<string, JsonElement> fields, Channel? channel)
        {
            if (!fields.TryGetValue("content", out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                Problem("$.content", $"must be a JSON object, not {Describe(element)}");
                return null;
            }

            string? subject = null, html = null, text = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                var path = Path("$.content", property.Name);
                if (!seen.Add(property.Name))
                {
                    Problem(path, "appears more than once");
                    continue;
                }

                switch (property.Name)
                {
                    case "subject": subject = HeaderString(property.Value, path); break;
                    case "html": html = NonEmptyString(property.Value, path); break;
                    case "text": text = NonEmptyString(property.Value, path); break;
                    default: Problem(path, $"is not a field of content; use {string.Join(", ", ContentFields.Select(f => $"\"{f}\""))}"); break;
                }
            }

            if (channel == Requests.Channel.Email)
            {
                if (!element.TryGetProperty("subject", out _))
                {
                    Problem("$.content.subject", "is required for email");
                }

                if (!element.TryGetProperty("html", out _) && !element.TryGetProperty("text", out _))
                {
                    Problem("$.content", "needs \"html\" or \"text\" (or both) for email");
                }
            }
            else if (channel == Requests.Channel.Sms)
            {
                if (element.TryGetProperty("subject", out _))
                {
                    Problem("$.content.subject", "is not used for SMS; put the whole message in \"text\"");
                }

                if (element.TryGetProperty("html", out _))
                {
                    Problem("$.content.html", "is not used for SMS; put the whole message in \"text\"");
                }

                if (!element.TryGetProperty("text", out _))
                {
                    Problem("$.content.text", "is required for SMS");
                }
                else if (text is not null && text.Length > MaxSmsTextLength)
                {
                    Problem("$.content.text", $"is {text.Length:N0} characters; an SMS body can be at most {MaxSmsTextLength:N0}");
                }
            }

            return new MessageContent { Subject = subject, Html = html, Text = text };
        }

        private string? ReadFrom(Dictionary<string, JsonElement> fields, Channel? channel)
        {
            if (!fields.TryGetValue("from", out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            var value = NonEmptyString(element, "$.from");
            if (value is null || channel is null)
            {
                return null;
            }

            if (channel == Requests.Channel.Email)
            {
                var reason = EmailAddressRule.CheckSender(value);
                return reason is null ? value : Problem("$.from", reason);
            }

            if (value.Length > 256 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':' or '/' or '+' or '-'))
            {
                return Problem(
                    "$.from",
                    "must be an SMS origination identity (phone number, sender ID, pool, or their ARNs): 1–256 of letters, digits, '_', ':', '/', '+', '-'");
            }

            return value;
        }

        private Category? ReadCategory(Dictionary<string, JsonElement> fields)
        {
            if (!fields.TryGetValue("category", out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            var value = String(element, "$.category");
            return value switch
            {
                null => null,
                "transactional" => Category.Transactional,
                "marketing" => Category.Marketing,
                _ => ProblemValue<Category>("$.category", $"is \"{Shorten(value)}\"; use \"transactional\" or \"marketing\""),
            };
        }

        private Dictionary<string, string>? ReadTags(Dictionary<string, JsonElement> fields, Channel? channel)
        {
            if (!fields.TryGetValue("tags", out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                Problem("$.tags", $"must be a JSON object of string values, not {Describe(element)}");
                return null;
            }

            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                var path = Path("$.tags", property.Name);
                var value = String(property.Value, path);
                if (value is null)
                {
                    continue;
                }

                if (tags.ContainsKey(property.Name))
                {
                    Problem(path, "appears more than once");
                }
                else if (property.Name == ReservedTagName)
                {
                    Problem(path, "is reserved: the engine sets it to the request's messageId");
                }
                else if (channel == Requests.Channel.Email)
                {
                    CheckEmailTag(path, property.Name, value);
                }
                else if (channel == Requests.Channel.Sms)
                {
                    CheckSmsTag(path, property.Name, value);
                }

                tags[property.Name] = value;
            }

            var max = channel == Requests.Channel.Sms ? MaxSmsTags : MaxEmailTags;
            if (tags.Count > max)
            {
                Problem("$.tags", $"has {tags.Count} entries; at most {max} are allowed for {(channel == Requests.Channel.Sms ? "SMS" : "email")}");
            }

            return tags;
        }

        private void CheckEmailTag(string path, string name, string value)
        {
            if (name.Length is 0 or > 256 || !name.All(IsTagCharacter))
            {
                Problem(path, "has a name SES does not accept: use 1–256 letters, digits, '_' or '-'");
            }
            else if (value.Length is 0 or > 256 || !value.All(IsTagCharacter))
            {
                Problem(path, "has a value SES does not accept: use 1–256 letters, digits, '_' or '-'");
            }
        }

        private void CheckSmsTag(string path, string name, string value)
        {
            if (name.Length is 0 or > 100 || name.Any(char.IsWhiteSpace))
            {
                Problem(path, "has a name SMS context does not accept: use 1–100 characters without spaces");
            }
            else if (value.Length is 0 or > 800)
            {
                Problem(path, "has a value SMS context does not accept: use 1–800 characters");
            }
        }

        private DateTimeOffset? ReadNotBefore(Dictionary<string, JsonElement> fields)
        {
            if (!fields.TryGetValue("notBefore", out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            var value = String(element, "$.notBefore");
            if (value is null)
            {
                return null;
            }

            const string Expected = "must be an ISO 8601 date and time with an offset, such as 2026-12-01T09:00:00Z";
            if (!DateTimeOffset.TryParseExact(
                    value,
                    ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"],
                    CultureInfo.InvariantCulture,
                    DateTimeStyles.None,
                    out var instant))
            {
                return ProblemValue<DateTimeOffset>("$.notBefore", $"{Expected}; got \"{Shorten(value)}\"");
            }

            var hasOffset = value.EndsWith('Z') || (value.Length >= 6 && value[^6] is '+' or '-' && value[^3] == ':');
            if (!hasOffset)
            {
                return ProblemValue<DateTimeOffset>("$.notBefore", $"{Expected}; \"{Shorten(value)}\" has no offset");
            }

            if (instant - now > MaxScheduleAhead)
            {
                return ProblemValue<DateTimeOffset>("$.notBefore", "is more than 14 days ahead; SQS keeps a request at most 14 days");
            }

            return instant;
        }

        private string? ReadName(Dictionary<string, JsonElement> fields, string name, int maxLength)
        {
            if (!fields.TryGetValue(name, out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            var path = Path("$", name);
            var value = NonEmptyString(element, path);
            if (value is not null && (value.Length > maxLength || !value.All(IsTagCharacter)))
            {
                return Problem(path, $"may contain only letters, digits, '_' and '-', at most {maxLength} characters");
            }

            return value;
        }

        private string? RequiredString(Dictionary<string, JsonElement> fields, string name)
        {
            var path = Path("$", name);
            if (!fields.TryGetValue(name, out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return Problem(path, "is required");
            }

            return NonEmptyString(element, path);
        }

        private string? NonEmptyString(JsonElement element, string path)
        {
            var value = String(element, path);
            if (value is not null && string.IsNullOrWhiteSpace(value))
            {
                return Problem(path, "must not be empty");
            }

            return value;
        }

        /// <summary>A non-empty string that goes into a mail header: one line, no control characters.</summary>
        private string? HeaderString(JsonElement element, string path)
        {
            var value = NonEmptyString(element, path);
            return value is not null && HeaderTextRule.Check(value) is { } reason ? Problem(path, reason) : value;
        }

        private string? String(JsonElement element, string path) =>
            element.ValueKind == JsonValueKind.String
                ? element.GetString()
                : Problem(path, $"must be a string, not {Describe(element)}");

        private string? Problem(string path, string reason)
        {
            _problems.Add(new ValidationProblem(path, reason));
            return null;
        }

        private T? ProblemValue<T>(string path, string reason)
            where T : struct
        {
            _problems.Add(new ValidationProblem(path, reason));
            return null;
        }
    }

    private static bool IsTagCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';

    private static string Path(string parent, string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? $"{parent}.{name}"
            : $"{parent}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Quote(char c) => char.IsWhiteSpace(c) || char.IsControl(c) ? $"U+{(int)c:X4}" : $"'{c}'";

    private static string Shorten(string value) => value.Length <= 40 ? value : string.Concat(value.AsSpan(0, 40), "…");
}
