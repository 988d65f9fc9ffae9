using Messaging.Contracts.Requests;

namespace Messaging.Contracts.Status;

/// <summary>
/// Published by the engine each time a request's status changes, so producers can react without
/// polling. Correlate on <see cref="MessageId"/>, the producer's own id.
/// </summary>
public sealed record MessageStatusChanged
{
    /// <summary>The only schema this version of the contract writes.</summary>
    public const string SchemaV1 = "messaging.status.v1";

    /// <summary>Always <see cref="SchemaV1"/>.</summary>
    public string Schema { get; init; } = SchemaV1;

    /// <summary>The producer's <c>messageId</c>.</summary>
    public required string MessageId { get; init; }

    /// <summary>Email or SMS.</summary>
    public required Channel Channel { get; init; }

    /// <summary>The normalized recipient address.</summary>
    public required string To { get; init; }

    /// <summary>The new status.</summary>
    public required MessageStatus Status { get; init; }

    /// <summary>The status before this change, when there was one.</summary>
    public MessageStatus? PreviousStatus { get; init; }

    /// <summary>Why, in plain English, for statuses that have a reason (rejected, failed, bounced…).</summary>
    public string? Reason { get; init; }

    /// <summary>The provider's message id, once sent.</summary>
    public string? ProviderMessageId { get; init; }

    /// <summary>When the change happened (provider time for feedback events).</summary>
    public required DateTimeOffset OccurredAt { get; init; }
}
