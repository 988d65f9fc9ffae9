using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Messaging.Engine.Persistence.Sql;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>
/// Writes as a recipient entity's persist does, through the Akka.Persistence plugin's store: one event in
/// <c>event_journal</c> and its read-table rows in the same group-commit transaction. For tests of the read tables that
/// need no running entity.
/// </summary>
internal sealed class ReadModelWriter(SqlDialect dialect, TimeProvider time) : IAsyncDisposable
{
    private readonly EventStore _store = new(dialect, new EventStoreSettings(new JournalOptions(), 256, 0), time, NullLogger.Instance);

    /// <summary>Writes event <paramref name="sequenceNr"/> of <paramref name="persistenceId"/> with <paramref name="rows"/>.</summary>
    public Task WriteAsync(string persistenceId, long sequenceNr, ReadModelRows rows, byte[]? payload = null) =>
        _store.WriteAsync(new EventsWrite([new JournalRow(
            persistenceId, sequenceNr, RecipientEventAkkaSerializer.Id, "test.event.v1", payload ?? [1],
            time.GetUtcNow().ToUnixTimeMilliseconds(), "test-writer", null, rows)]), CancellationToken.None);

    /// <summary>Writes event <paramref name="sequenceNr"/> with the <c>messages</c> rows <paramref name="messages"/>.</summary>
    public Task WriteAsync(string persistenceId, long sequenceNr, params MessageRecord[] messages) =>
        WriteAsync(persistenceId, sequenceNr, new ReadModelRows(persistenceId, messages, []));

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}
