using System.Text.Json;
using Messaging.Contracts.Serialization;
using Messaging.Contracts.Status;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Recipients;

/// <summary>What a recipient's events change in the read tables: the same rows for the in-house journal and the entity.</summary>
public static class RecipientReadModel
{
    /// <summary>
    /// The rows <paramref name="events"/> change, going from <paramref name="before"/> to <paramref name="after"/>;
    /// status events only when <paramref name="publishStatus"/> (a status queue is configured). The row of
    /// <paramref name="claims"/>, a message id new to the recipient, is its claim (<see cref="ReadModelRows.Claim"/>).
    /// </summary>
    public static ReadModelRows RowsFor(
        RecipientKey key, RecipientState before, RecipientState after, IReadOnlyList<IRecipientEvent> events, bool publishStatus,
        string? claims = null)
    {
        var recipient = key.ToString();
        var messageIds = MessageIds(events);
        var messages = MessageRows(key, recipient, after, messageIds);
        MessageRecord? claim = null;
        if (claims is not null)
        {
            for (var i = 0; i < messages.Count && claim is null; i++)
            {
                if (messages[i].MessageId == claims)
                {
                    claim = messages[i];
                    messages.RemoveAt(i);
                }
            }

            if (claim is null)
            {
                throw new InvalidOperationException($"{key}'s events claim {claims} but record nothing about it.");
            }
        }

        return new(recipient, messages, publishStatus ? StatusChanges(key, before, after, events, messageIds) : [])
        {
            Claim = claim,
            Suppression = events.Any(e => e is Suppressed) && after.Suppression is { } s
                ? new SuppressionRecord(recipient, ContractNames.Of(key.Channel), ContractNames.Of(s.Reason), s.Since, s.SourceMessageId, s.By, s.Note)
                : null,
            SuppressionLifted = events.Any(e => e is Unsuppressed) && after.Suppression is null,
        };
    }

    /// <summary>The reason a claim written alone (by earlier versions) shows until the recipient's first event replaces it.</summary>
    public const string ClaimReason = "claimed; nothing recorded about it yet";

    /// <summary>
    /// Whether <paramref name="row"/> is <paramref name="key"/>'s own claim that nothing was recorded on yet (written
    /// alone by earlier versions, before the events): the recipient goes on with the id; any other row makes it a duplicate.
    /// </summary>
    public static bool IsClaimOf(MessageRecord row, RecipientKey key) =>
        row.RecipientKey == key.ToString() && row.Reason == ClaimReason;

    /// <summary>The messages the events are about, each once, in the order first met (one, nearly always).</summary>
    private static List<string> MessageIds(IReadOnlyList<IRecipientEvent> events)
    {
        var ids = new List<string>(1);
        foreach (var e in events)
        {
            if (e is IMessageEvent m && !ids.Contains(m.MessageId))
            {
                ids.Add(m.MessageId);
            }
        }

        return ids;
    }

    /// <summary>The read-table rows for every message the events touched, as the new state sees them.</summary>
    private static List<MessageRecord> MessageRows(RecipientKey key, string recipient, RecipientState after, List<string> messageIds)
    {
        var rows = new List<MessageRecord>(messageIds.Count);
        foreach (var messageId in messageIds)
        {
            if (after.Find(messageId) is { } m)
            {
                rows.Add(new MessageRecord(
                    m.MessageId, recipient, ContractNames.Of(key.Channel), ContractNames.Of(m.Category),
                    ContractNames.Of(m.Status), m.Reason, m.ProviderMessageId, m.AcceptedAt, m.UpdatedAt, m.Opens, m.Clicks));
            }
        }

        return rows;
    }

    /// <summary>One <c>MessageStatusChanged</c> per message whose status these events changed.</summary>
    private static List<StatusChange> StatusChanges(
        RecipientKey key, RecipientState before, RecipientState after, IReadOnlyList<IRecipientEvent> events, List<string> messageIds)
    {
        var changes = new List<StatusChange>();
        foreach (var messageId in messageIds)
        {
            // A recalled message had a status before this append, even if this state no longer remembered it.
            var previous = before.Find(messageId)?.Status
                ?? events.OfType<MessageRecalled>().FirstOrDefault(r => r.MessageId == messageId)?.Status;
            if (after.Find(messageId) is not { } m || m.Status == previous)
            {
                continue;
            }

            changes.Add(new StatusChange(messageId, JsonSerializer.Serialize(new MessageStatusChanged
            {
                MessageId = messageId,
                Channel = key.Channel,
                To = key.Address,
                Status = m.Status,
                PreviousStatus = previous,
                Reason = m.Reason,
                ProviderMessageId = m.ProviderMessageId,
                OccurredAt = m.UpdatedAt,
            }, ContractsJsonContext.Default.MessageStatusChanged)));
        }

        return changes;
    }
}
