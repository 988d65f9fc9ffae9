using System.Text.Json;

namespace Messaging.Contracts.Requests;

/// <summary>
/// Envelope v1: what an application writes to the requests queue to have one email or SMS sent.
/// Read it with <see cref="Validation.RequestReader"/>, which reports every problem at once;
/// write it with <see cref="Serialization.ContractsJsonContext"/>.
/// </summary>
public sealed record MessageRequest
{
    /// <summary>The only schema this version of the contract reads and writes.</summary>
    public const string SchemaV1 = "messaging.request.v1";

    /// <summary>Always <see cref="SchemaV1"/>.</summary>
    public string Schema { get; init; } = SchemaV1;

    /// <summary>
    /// Producer-chosen idempotency key: a request with a <c>messageId</c> the engine has seen is
    /// acknowledged and never sent again. 1–128 of <c>A–Z a–z 0–9 _ -</c>, because it travels as
    /// an SES email tag value, which allows nothing else.
    /// </summary>
    public required string MessageId { get; init; }

    /// <summary>Email or SMS.</summary>
    public required Channel Channel { get; init; }

    /// <summary>An email address, or an E.164 phone number (<c>+15551234567</c>) for SMS.</summary>
    public required string To { get; init; }

    /// <summary>Template name; exactly one of <see cref="Template"/> and <see cref="Content"/>.</summary>
    public string? Template { get; init; }

    /// <summary>Template variables: a JSON object.</summary>
    public JsonElement? Data { get; init; }

    /// <summary>Inline content; exactly one of <see cref="Template"/> and <see cref="Content"/>.</summary>
    public MessageContent? Content { get; init; }

    /// <summary>Sender: an email address (optionally <c>Name &lt;address&gt;</c>) or an SMS origination identity.</summary>
    public string? From { get; init; }

    /// <summary>SES configuration set or SMS configuration set name.</summary>
    public string? ConfigurationSet { get; init; }

    /// <summary>Transactional unless stated.</summary>
    public Category Category { get; init; } = Category.Transactional;

    /// <summary>Become SES email tags or SMS context entries.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>Send no earlier than this instant.</summary>
    public DateTimeOffset? NotBefore { get; init; }
}
