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
    bool SendPending = false,
    ImmutableList<string>? Feedback = null,
    bool ContentRejected = false,
    bool ResentAfterUnknown = false)
{
    /// <summary>Provider events already applied to this message, newest last, so a duplicate is recognised.</summary>
    public const int FeedbackLimit = 20;

    public bool HasSeen(string? feedbackId) => feedbackId is not null && Feedback is { } seen && seen.Contains(feedbackId);

    /// <summary>
    /// Statuses only move forward: feedback may arrive before the send is recorded, or twice, or out of order, and a
    /// later-ranked status (a complaint after a delivery) is never overwritten by an earlier-ranked one.
    /// </summary>
    public MessageEntry Advance(MessageStatus next) => Rank(next) >= Rank(Status) ? this with { Status = next } : this;

    private static int Rank(MessageStatus status) => status switch
    {
        MessageStatus.Accepted or MessageStatus.Scheduled => 0,
        MessageStatus.Sent or MessageStatus.Unknown => 1,
        MessageStatus.Delivered or MessageStatus.SoftBounced => 2,
        MessageStatus.Bounced or MessageStatus.Failed => 3,
        MessageStatus.Complained => 4,
        _ => 5,
    };

    /// <summary>
    /// Refused for its content only (nothing was tried, nothing decided about the recipient): the message id is not
    /// spent, and a corrected request with it is processed.
    /// </summary>
    [JsonIgnore]
    public bool IsReusable => Status is MessageStatus.Rejected && ContentRejected && !SendPending;

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

    public MessageEntry? Find(string messageId)
    {
        // A loop, not a predicate: every event applied looks its message up, and a lambda would allocate each time.
        foreach (var entry in Recent)
        {
            if (entry.MessageId == messageId)
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>Messages of <paramref name="category"/> accepted on <paramref name="day"/>.</summary>
    public int AcceptedOn(Category category, DateOnly day) =>
        AcceptedToday.TryGetValue(category, out var count) && count.Day == day ? count.Count : 0;

    public RecipientState Apply(IRecipientEvent @event) => @event switch
    {
        RequestAccepted e => Accept(e),
        SendIntended e => Update(e.MessageId, e.At, m => m with { SendPending = true }),
        // From the send itself, or from the provider's Send event (which also settles an unconfirmed send).
        Sent e => Update(e.MessageId, e.At, m => (m.Status is MessageStatus.Unknown ? m with { Status = MessageStatus.Sent } : m.Advance(MessageStatus.Sent)) with
        {
            ProviderMessageId = m.ProviderMessageId ?? e.ProviderMessageId, SendPending = false,
        }),
        // A content rejection does not count toward the frequency cap: the corrected request counts when accepted.
        Rejected { Content: true } e => Uncount(e.MessageId).Update(e.MessageId, e.At, m => m with
        {
            Status = MessageStatus.Rejected, Reason = e.Reason, ContentRejected = true,
        }),
        Rejected e => Update(e.MessageId, e.At, m => m with
        {
            Status = e.Suppressed ? MessageStatus.Suppressed : MessageStatus.Rejected, Reason = e.Reason, ContentRejected = false,
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
        IFeedbackEvent e when Find(e.MessageId)?.HasSeen(e.FeedbackId) == true => this,
        Delivered e => Feedback(e, m => m.Advance(MessageStatus.Delivered)) with { ConsecutiveTransientBounces = 0 },
        Bounced { Kind: BounceKind.Permanent } e => Feedback(e, m => m.Advance(MessageStatus.Bounced) with { Reason = e.Diagnostic }),
        Bounced e => Feedback(e, m => m.Advance(MessageStatus.SoftBounced) with { Reason = e.Diagnostic })
            with { ConsecutiveTransientBounces = ConsecutiveTransientBounces + 1 },
        Complained e => Feedback(e, m => m.Advance(MessageStatus.Complained) with { Reason = e.FeedbackType ?? m.Reason }),
        Opened e => Feedback(e, m => m with { Opens = m.Opens + 1 }),
        Clicked e => Feedback(e, m => m with { Clicks = m.Clicks + 1 }),
        DeliveryDelayed e => Feedback(e, m => m with { Reason = $"delayed: {e.DelayType}" }),
        DeliveryFailed e => Feedback(e, m => m.Advance(MessageStatus.Failed) with { Reason = e.Reason }),
        Redriven e => Update(e.MessageId, e.At, m => m with
        {
            Status = MessageStatus.Accepted, Reason = null, FailedAttempts = 0, FirstFailureAt = null, SendPending = false,
        }),
        // Sent once more: waiting for its send again, and never resent a second time.
        ResentAfterUnknown e => Update(e.MessageId, e.At, m => m with
        {
            Status = MessageStatus.Accepted, Reason = e.Reason, SendPending = false, ResentAfterUnknown = true,
        }),
        MessageRecalled e => Find(e.MessageId) is not null ? this : this with
        {
            Recent = Remember(new MessageEntry(e.MessageId, e.Category, e.Status, e.AcceptedAt, e.At, e.ProviderMessageId, Opens: e.Opens, Clicks: e.Clicks)),
        },
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

    /// <summary>Takes back the cap count of a message accepted and not yet decided (when it is refused for its content).</summary>
    private RecipientState Uncount(string messageId)
    {
        if (Find(messageId) is not { Status: MessageStatus.Accepted or MessageStatus.Scheduled } m ||
            !AcceptedToday.TryGetValue(m.Category, out var count) || count.Day != DateOnly.FromDateTime(m.AcceptedAt.UtcDateTime) || count.Count == 0)
        {
            return this;
        }

        return this with { AcceptedToday = AcceptedToday.SetItem(m.Category, count with { Count = count.Count - 1 }) };
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

    /// <summary>Applies provider feedback to its message and remembers the provider event's id.</summary>
    private RecipientState Feedback(IFeedbackEvent e, Func<MessageEntry, MessageEntry> change) =>
        Update(e.MessageId, e.At, m =>
        {
            var changed = change(m);
            if (e.FeedbackId is null)
            {
                return changed;
            }

            var seen = (m.Feedback ?? []).Add(e.FeedbackId);
            return changed with { Feedback = seen.Count > MessageEntry.FeedbackLimit ? seen.RemoveAt(0) : seen };
        });

    private ImmutableList<MessageEntry> Remember(MessageEntry entry)
    {
        var index = 0;
        foreach (var remembered in Recent)
        {
            if (remembered.MessageId == entry.MessageId)
            {
                return Recent.SetItem(index, entry);
            }

            index++;
        }

        var recent = Recent.Insert(0, entry);
        return recent.Count > RecentLimit ? recent.RemoveAt(recent.Count - 1) : recent;
    }
}
