using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Host.Api;

/// <summary>A recipient as its actor sees it: suppression, bounce streak, today's counts, recent messages.</summary>
public sealed record RecipientView(
    string Key, Channel Channel, string Address, SuppressionView? Suppression, int ConsecutiveTransientBounces,
    IReadOnlyDictionary<string, int> AcceptedToday, IReadOnlyList<RecentMessageView> Recent, long SequenceNr)
{
    public static RecipientView Of(RecipientSnapshot snapshot, DateOnly today) => new(
        snapshot.Key.ToString(), snapshot.Key.Channel, snapshot.Key.Address,
        snapshot.State.Suppression is { } s ? new SuppressionView(s.Reason, s.Since, s.SourceMessageId, s.By, s.Note) : null,
        snapshot.State.ConsecutiveTransientBounces,
        Enum.GetValues<Category>().ToDictionary(c => c == Category.Marketing ? "marketing" : "transactional", c => snapshot.State.AcceptedOn(c, today)),
        snapshot.State.Recent.Select(m => new RecentMessageView(m.MessageId, m.Category, m.Status, m.AcceptedAt, m.UpdatedAt, m.ProviderMessageId,
            m.Reason, m.Opens, m.Clicks, m.FailedAttempts)).ToList(),
        snapshot.SequenceNr);
}

public sealed record SuppressionView(SuppressionReason Reason, DateTimeOffset Since, string? SourceMessageId, string? By, string? Note);

public sealed record RecentMessageView(
    string MessageId, Category Category, MessageStatus Status, DateTimeOffset AcceptedAt, DateTimeOffset UpdatedAt,
    string? ProviderMessageId, string? Reason, int Opens, int Clicks, int FailedAttempts);

/// <summary>A message: where it stands, and what happened to it (the recipient's events still in the journal).</summary>
public sealed record MessageView(
    string MessageId, string Recipient, string Channel, string Category, string Status, string? Reason, string? ProviderMessageId,
    DateTimeOffset AcceptedAt, DateTimeOffset UpdatedAt, int Opens, int Clicks, IReadOnlyList<MessageHistoryEntry>? History = null);

/// <summary>One event of a message's history: <c>send-intended</c>, <c>sent</c>, <c>bounced</c>…</summary>
public sealed record MessageHistoryEntry(string Event, DateTimeOffset At, string? Detail);

/// <summary>Body of a suppression, pause, resume or unsuppression: why (recorded with who, from the token).</summary>
public sealed record ReasonRequest(string? Reason);

public sealed record SuppressionChangeView(string Recipient, string Change);

/// <summary>Body of a redrive or purge: the SQS message ids to act on; none means all.</summary>
public sealed record DeadLetterSelection(IReadOnlyList<string>? MessageIds);

/// <summary>Body of a make-current: the stored version to use from now on.</summary>
public sealed record MakeCurrentRequest(int Version, bool Partial = false);

/// <summary>Body of a preview: variables (a JSON object; the sample data when absent), and a version (current when absent).</summary>
public sealed record PreviewRequest(System.Text.Json.JsonElement? Data, int? Version);
