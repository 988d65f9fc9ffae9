namespace Messaging.Engine.Persistence;

/// <summary>
/// One row of the <c>messages</c> read table: where a message stands now. It is written in the same transaction as
/// the recipient's events, so it never disagrees with the journal. Found by message id, by provider id, by
/// recipient and time, and by day (retention purges whole days). <see cref="Opens"/> and <see cref="Clicks"/> count
/// the recipient's engagement with it.
/// </summary>
public sealed record MessageRecord(
    string MessageId,
    string RecipientKey,
    string Channel,
    string Category,
    string Status,
    string? Reason,
    string? ProviderMessageId,
    DateTimeOffset AcceptedAt,
    DateTimeOffset UpdatedAt,
    int Opens = 0,
    int Clicks = 0);
