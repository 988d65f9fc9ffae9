namespace Messaging.Engine.Aws.Ses;

/// <summary>One email for SES v2 <c>SendEmail</c> with Simple content.</summary>
public sealed record SesEmail
{
    /// <summary>Sender (a verified identity), optionally <c>Name &lt;address&gt;</c>.</summary>
    public required string From { get; init; }

    /// <summary>Recipients (SES counts each against the quota).</summary>
    public required IReadOnlyList<string> To { get; init; }

    /// <summary>Reply-To addresses.</summary>
    public IReadOnlyList<string>? ReplyTo { get; init; }

    /// <summary>Subject line.</summary>
    public required string Subject { get; init; }

    /// <summary>HTML body.</summary>
    public string? Html { get; init; }

    /// <summary>Plain-text body.</summary>
    public string? Text { get; init; }

    /// <summary>Extra mail headers (at most 15), e.g. <c>X-Correlation-ID</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; init; }

    /// <summary>Email tags, echoed in every event SES publishes for the message.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>Configuration set: selects event destinations and IP pool.</summary>
    public string? ConfigurationSetName { get; init; }
}
