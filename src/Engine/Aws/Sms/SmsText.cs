namespace Messaging.Engine.Aws.Sms;

/// <summary>One text message for End User Messaging <c>SendTextMessage</c>.</summary>
public sealed record SmsText
{
    /// <summary>E.164 destination.</summary>
    public required string DestinationPhoneNumber { get; init; }

    /// <summary>1–1,600 characters.</summary>
    public required string MessageBody { get; init; }

    /// <summary>Phone number, sender ID, pool, or their ARNs; the account default when null.</summary>
    public string? OriginationIdentity { get; init; }

    /// <summary><c>TRANSACTIONAL</c> or <c>PROMOTIONAL</c>.</summary>
    public string? MessageType { get; init; }

    /// <summary>Selects the event destinations.</summary>
    public string? ConfigurationSetName { get; init; }

    /// <summary>Up to five entries, echoed in every event for the message.</summary>
    public IReadOnlyDictionary<string, string>? Context { get; init; }

    /// <summary>Most USD per message part, e.g. <c>"0.05"</c>.</summary>
    public string? MaxPrice { get; init; }

    /// <summary>Seconds the message may wait for delivery (5–259,200).</summary>
    public int? TimeToLive { get; init; }

    /// <summary>Validate without sending.</summary>
    public bool? DryRun { get; init; }
}
