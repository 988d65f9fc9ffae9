using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Recipients;

/// <summary>Why and since when a recipient is suppressed.</summary>
public sealed record Suppression(
    SuppressionReason Reason, DateTimeOffset Since, string? SourceMessageId = null, string? By = null, string? Note = null);

/// <summary>Where one of the recipient's recent messages stands.</summary>
public sealed record MessageEntry(
    string MessageId,
    Category Category,
    MessageStatus Status,
    DateTimeOffset AcceptedAt,
    DateTimeOffset UpdatedAt,
    string? ProviderMessageId = null,
    string? Reason = null,
    int Opens = 0,
    int Clicks = 0,
    int FailedAttempts = 0,
    DateTimeOffset? FirstFailureAt = null,
    bool SendPending = false)
{
    /// <summary>Still to be sent: accepted or scheduled, with no send in flight.</summary>
    [JsonIgnore]
    public bool IsWaiting => Status is MessageStatus.Accepted or MessageStatus.Scheduled && !SendPending;
}

/// <summary>Messages accepted in one category on one UTC day: what frequency caps count.</summary>
public sealed record CategoryCount(DateOnly Day, int Count);

/// <summary>
/// Everything a recipient actor knows, rebuilt from its snapshot and events. Immutable: <see cref="Apply"/> returns the
/// next state, so a decision can be tried against it without changing anything until the events are durable.
/// </summary>
public sealed record RecipientState
{
    /// <summary>
    /// Recent messages kept in memory (newest first). Older ones stay findable in the <c>messages</c> table, which the
    /// actor consults for duplicates it no longer remembers.
    /// </summary>
    public const int RecentLimit = 50;

    public static RecipientState Empty { get; } = new();

    public Suppression? Suppression { get; init; }

    public int ConsecutiveTransientBounces { get; init; }

    public ImmutableList<MessageEntry> Recent { get; init; } = [];

    public ImmutableDictionary<Category, CategoryCount> AcceptedToday { get; init; } =
        ImmutableDictionary<Category, CategoryCount>.Empty;

    [JsonIgnore]
    public bool IsSuppressed => Suppression is not null;

    public MessageEntry? Find(string messageId) => Recent.Find(m => m.MessageId == messageId);

    /// <summary>Messages of <paramref name="category"/> accepted on <paramref name="day"/>.</summary>
    public int AcceptedOn(Category category, DateOnly day) =>
        AcceptedToday.TryGetValue(category, out var count) && count.Day == day ? count.Count : 0;

    public RecipientState Apply(IRecipientEvent @event) => @event switch
    {
        RequestAccepted e => Accept(e),
        SendIntended e => Update(e.MessageId, e.At, m => m with { SendPending = true }),
        Sent e => Update(e.MessageId, e.At, m => m with
        {
            Status = MessageStatus.Sent, ProviderMessageId = e.ProviderMessageId, SendPending = false,
        }),
        Rejected e => Update(e.MessageId, e.At, m => m with
        {
            Status = e.Suppressed ? MessageStatus.Suppressed : MessageStatus.Rejected, Reason = e.Reason,
        }),
        SendFailed { Permanent: true } e => Update(e.MessageId, e.At, m => m with
        {
            Status = MessageStatus.Failed, Reason = e.Reason, SendPending = false,
        }),
        // Throttling is not a failure: the message just waits for its turn again.
        SendFailed { Throttled: true } e => Update(e.MessageId, e.At, m => m with { SendPending = false }),
        // A transient failure leaves the message waiting for its next attempt, and counts toward giving up.
        SendFailed e => Update(e.MessageId, e.At, m => m with
        {
            Reason = e.Reason, SendPending = false, FailedAttempts = m.FailedAttempts + 1, FirstFailureAt = m.FirstFailureAt ?? e.At,
        }),
        SendUnconfirmed e => Update(e.MessageId, e.At, m => m with
        {
            Status = MessageStatus.Unknown, Reason = e.Reason, SendPending = false,
        }),
        DeadLettered e => Update(e.MessageId, e.At, m => m with
        {
            Status = MessageStatus.DeadLettered, Reason = e.Reason, SendPending = false,
        }),
        Delivered e => Update(e.MessageId, e.At, m => m with { Status = MessageStatus.Delivered }) with { ConsecutiveTransientBounces = 0 },
        Bounced { Kind: BounceKind.Permanent } e =>
            Update(e.MessageId, e.At, m => m with { Status = MessageStatus.Bounced, Reason = e.Diagnostic }),
        Bounced e => Update(e.MessageId, e.At, m => m with { Status = MessageStatus.SoftBounced, Reason = e.Diagnostic })
            with { ConsecutiveTransientBounces = ConsecutiveTransientBounces + 1 },
        Complained e => Update(e.MessageId, e.At, m => m with { Status = MessageStatus.Complained, Reason = e.FeedbackType }),
        Opened e => Update(e.MessageId, e.At, m => m with { Opens = m.Opens + 1 }),
        Clicked e => Update(e.MessageId, e.At, m => m with { Clicks = m.Clicks + 1 }),
        Suppressed e => this with { Suppression = new Suppression(e.Reason, e.At, e.SourceMessageId, e.By, e.Note) },
        Unsuppressed => this with { Suppression = null, ConsecutiveTransientBounces = 0 },
        _ => throw new ArgumentOutOfRangeException(nameof(@event), @event, "Unknown recipient event."),
    };

    public RecipientState ApplyAll(IEnumerable<IRecipientEvent> events) =>
        events.Aggregate(this, (state, e) => state.Apply(e));

    private RecipientState Accept(RequestAccepted e)
    {
        var day = DateOnly.FromDateTime(e.At.UtcDateTime);
        var status = e.NotBefore > e.At ? MessageStatus.Scheduled : MessageStatus.Accepted;
        var entry = new MessageEntry(e.MessageId, e.Category, status, e.At, e.At);
        return this with
        {
            Recent = Remember(entry),
            AcceptedToday = AcceptedToday.SetItem(e.Category, new CategoryCount(day, AcceptedOn(e.Category, day) + 1)),
        };
    }

    /// <summary>
    /// Updates a message's entry. Feedback may arrive for a message this state no longer (or never) remembered:
    /// it gets an entry of its own, so the event is not lost from the recipient's history.
    /// </summary>
    private RecipientState Update(string messageId, DateTimeOffset at, Func<MessageEntry, MessageEntry> change)
    {
        var existing = Find(messageId) ?? new MessageEntry(messageId, Category.Transactional, MessageStatus.Accepted, at, at);
        return this with { Recent = Remember(change(existing) with { UpdatedAt = at }) };
    }

    private ImmutableList<MessageEntry> Remember(MessageEntry entry)
    {
        var index = Recent.FindIndex(m => m.MessageId == entry.MessageId);
        if (index >= 0)
        {
            return Recent.SetItem(index, entry);
        }

        var recent = Recent.Insert(0, entry);
        return recent.Count > RecentLimit ? recent.RemoveAt(recent.Count - 1) : recent;
    }
}
