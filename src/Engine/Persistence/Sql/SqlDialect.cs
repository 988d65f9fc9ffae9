using System.Data.Common;

namespace Messaging.Engine.Persistence.Sql;

/// <summary>
/// What differs between the SQL stores: how a connection is opened and tuned, the DDL of each migration, and how
/// concurrent start-ups are kept from migrating at the same time. Every query and write statement is shared: both
/// stores speak <c>INSERT … ON CONFLICT</c>, partial indexes and <c>LIMIT</c>.
/// </summary>
internal abstract class SqlDialect : IAsyncDisposable
{
    /// <summary>For messages and logs: "SQLite at data/engine.db".</summary>
    public abstract string Description { get; }

    public abstract IReadOnlyList<SchemaMigration> Migrations { get; }

    /// <summary>Opens a connection; one that will write is tuned for durability.</summary>
    public abstract ValueTask<DbConnection> OpenAsync(bool forWrite, CancellationToken cancellationToken);

    /// <summary>Inside the migration transaction: make other processes that migrate the same database wait.</summary>
    public abstract Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>
    /// Appended to a subquery that picks rows to claim: where the store locks rows, claimers skip the rows another has
    /// locked instead of queueing behind it. SQLite has one writer at a time and needs nothing.
    /// </summary>
    public virtual string SkipLockedRows => "";

    /// <summary>
    /// The database's clock in Unix microseconds, as a SQL expression: nodes that share one database measure shared
    /// time by it, so their own clocks' skew does not matter.
    /// </summary>
    public abstract string NowMicroseconds { get; }

    /// <summary>
    /// Run first in a transaction whose commit need not wait for the disk (a send slot: losing the last one in a crash
    /// is harmless, waiting for a flush is not); null where commits are not flushed one by one anyway.
    /// </summary>
    public virtual string? SkipCommitFlush => null;

    /// <summary>
    /// Runs on the group commit's own connection after each batch it commits, between batches: upkeep that must not
    /// race the writer (SQLite starts its write-ahead log over here).
    /// </summary>
    public virtual ValueTask AfterCommitAsync(DbConnection writer, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// True where readers keep their connections open with their statements prepared, between reads: SQLite prepares a
    /// statement only for the life of its command, and parsing and planning the reads again per read cost the engine
    /// more than executing them. Elsewhere the provider's own pool serves each read.
    /// </summary>
    public virtual bool KeepsReadConnections => false;

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// Migration 1, the same tables for every store; only the type names differ (<paramref name="bigint"/>,
    /// <paramref name="bytes"/>) and what a keyed table may add after its definition (<paramref name="keyedTableOptions"/>).
    /// </summary>
    protected static SchemaMigration JournalTables(string bigint, string bytes, string keyedTableOptions) =>
        new(1, "journal, snapshots and messages", $"""
            CREATE TABLE journal (
                persistence_id TEXT NOT NULL,
                sequence_nr {bigint} NOT NULL,
                type TEXT NOT NULL,
                payload {bytes} NOT NULL,
                written_at {bigint} NOT NULL,
                PRIMARY KEY (persistence_id, sequence_nr)){keyedTableOptions};
            CREATE TABLE snapshots (
                persistence_id TEXT PRIMARY KEY,
                sequence_nr {bigint} NOT NULL,
                type TEXT NOT NULL,
                payload {bytes} NOT NULL,
                written_at {bigint} NOT NULL){keyedTableOptions};
            CREATE TABLE messages (
                message_id TEXT PRIMARY KEY CHECK (message_id <> ''),
                recipient_key TEXT NOT NULL,
                channel TEXT NOT NULL,
                category TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT,
                provider_message_id TEXT,
                accepted_at {bigint} NOT NULL,
                updated_at {bigint} NOT NULL,
                accepted_day INTEGER NOT NULL);
            CREATE INDEX messages_by_provider_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
            CREATE INDEX messages_by_recipient ON messages (recipient_key, accepted_at);
            CREATE INDEX messages_by_day ON messages (accepted_day);
            """);

    /// <summary>
    /// Migration 2: templates and partials. A version row is never changed; <c>template_heads</c> says which version is
    /// current; <c>template_catalog.revision</c> goes up with every change, so a node sees that something changed with one
    /// read of one row.
    /// </summary>
    protected static SchemaMigration TemplateTables(string bigint) =>
        new(2, "templates", $"""
            CREATE TABLE template_versions (
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                version INTEGER NOT NULL,
                definition TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                created_at {bigint} NOT NULL,
                source TEXT,
                PRIMARY KEY (kind, name, version));
            CREATE TABLE template_heads (
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                current_version INTEGER NOT NULL,
                changed_at {bigint} NOT NULL,
                PRIMARY KEY (kind, name));
            CREATE TABLE template_catalog (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                revision {bigint} NOT NULL);
            INSERT INTO template_catalog (id, revision) VALUES (1, 0);
            """);

    /// <summary>
    /// Migration 3: sends, hard bounces and complaints per hour and configuration set (each node adds its counts); which
    /// categories the reputation guard has paused; opens and clicks per message; and the outbox of status events
    /// waiting for the status queue (<paramref name="identity"/>: the store's auto-numbered key column).
    /// </summary>
    protected static SchemaMigration ReputationTables(string bigint, string identity) =>
        new(3, "reputation, engagement and status outbox", $"""
            CREATE TABLE reputation_windows (
                window_start {bigint} NOT NULL,
                configuration_set TEXT NOT NULL,
                sent {bigint} NOT NULL,
                bounces {bigint} NOT NULL,
                complaints {bigint} NOT NULL,
                PRIMARY KEY (window_start, configuration_set));
            CREATE TABLE category_pauses (
                category TEXT PRIMARY KEY,
                paused INTEGER NOT NULL,
                reason TEXT NOT NULL,
                changed_by TEXT NOT NULL,
                changed_at {bigint} NOT NULL);
            ALTER TABLE messages ADD COLUMN opens INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE messages ADD COLUMN clicks INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE status_outbox (
                id {identity},
                message_id TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at {bigint} NOT NULL,
                claimed_until {bigint} NOT NULL);
            """);

    /// <summary>Migration 4: the suppressed recipients, kept with each recipient's events, for operators to list.</summary>
    protected static SchemaMigration SuppressionTable(string bigint) =>
        new(4, "suppressions", $"""
            CREATE TABLE suppressions (
                recipient_key TEXT PRIMARY KEY,
                channel TEXT NOT NULL,
                reason TEXT NOT NULL,
                since {bigint} NOT NULL,
                source_message_id TEXT,
                by_whom TEXT,
                note TEXT);
            CREATE INDEX suppressions_by_channel ON suppressions (channel, recipient_key);
            """);

    /// <summary>Migration 5: cluster membership, one row per running node, kept fresh by its heartbeat.</summary>
    protected static SchemaMigration NodeTable(string bigint) =>
        new(5, "nodes", $"""
            CREATE TABLE nodes (
                node_id TEXT PRIMARY KEY,
                host TEXT NOT NULL,
                started_at {bigint} NOT NULL,
                heartbeat_at {bigint} NOT NULL);
            """);

    /// <summary>
    /// Migration 6: for a send rate too small to split between the nodes, the next free send slot, taken by one
    /// atomic update per send (<see cref="Cluster.ClusterSendSlots"/>).
    /// </summary>
    protected static SchemaMigration SendSlotTable(string bigint) =>
        new(6, "send slots", $"""
            CREATE TABLE send_slots (
                throttle TEXT PRIMARY KEY,
                next_at {bigint} NOT NULL);
            """);

    /// <summary>
    /// Migration 7: how many nodes each node divides the rates by now, so a joining node can wait until every other
    /// one has lowered its share before it sends (0: not reported yet).
    /// </summary>
    protected static SchemaMigration NodeShareColumn() =>
        new(7, "node shares", "ALTER TABLE nodes ADD COLUMN sharing_nodes INTEGER NOT NULL DEFAULT 0;");

    /// <summary>
    /// Migration 8: the bodies of dead letters too large to go to the dead-letter queue with their reasons; the queue
    /// holds a reference (<see cref="DeadLetters.DeadLetterBodyStore"/>).
    /// </summary>
    protected static SchemaMigration DeadLetterBodyTable(string bigint) =>
        new(8, "dead-letter bodies", $"""
            CREATE TABLE dead_letter_bodies (
                id TEXT PRIMARY KEY,
                body TEXT NOT NULL,
                stored_at {bigint} NOT NULL);
            CREATE INDEX dead_letter_bodies_stored_at ON dead_letter_bodies (stored_at);
            """);

    /// <summary>
    /// Migration 9: the tables of the Akka.Persistence plugin (<see cref="AkkaPlugin.EventStore"/>). Apart from the in-house
    /// journal's: Akka keeps several snapshots per id, stores each payload's serializer and manifest, and a deleted
    /// highest event must keep its sequence number (<c>deleted</c>).
    /// </summary>
    protected static SchemaMigration AkkaPersistenceTables(string bigint, string bytes, string keyedTableOptions) =>
        new(9, "akka persistence journal and snapshots", $"""
            CREATE TABLE event_journal (
                persistence_id TEXT NOT NULL,
                sequence_nr {bigint} NOT NULL,
                serializer_id INTEGER NOT NULL,
                manifest TEXT NOT NULL,
                payload {bytes} NOT NULL,
                written_at {bigint} NOT NULL,
                writer_uuid TEXT NOT NULL,
                tags TEXT,
                deleted INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (persistence_id, sequence_nr)){keyedTableOptions};
            CREATE TABLE snapshot_store (
                persistence_id TEXT NOT NULL,
                sequence_nr {bigint} NOT NULL,
                created_at {bigint} NOT NULL,
                serializer_id INTEGER NOT NULL,
                manifest TEXT NOT NULL,
                payload {bytes} NOT NULL,
                PRIMARY KEY (persistence_id, sequence_nr)){keyedTableOptions};
            """);

    /// <summary>
    /// Migration 10: the in-house journal's events and snapshots copied into the plugin's tables, under the same
    /// persistence ids and with the serializer id and manifests <see cref="AkkaPlugin.RecipientEventAkkaSerializer"/> reads
    /// (the old type names are those manifests), so a recipient the old engine wrote keeps its history. An id the plugin
    /// already wrote for is left as it is. Snapshot times become UTC <see cref="DateTime"/> ticks, as Akka keeps them.
    /// </summary>
    protected static SchemaMigration RecipientHistoryCopy() =>
        new(10, "in-house journal copied into the akka persistence tables", $"""
            INSERT INTO snapshot_store (persistence_id, sequence_nr, created_at, serializer_id, manifest, payload)
            SELECT s.persistence_id, s.sequence_nr, s.written_at * 10000 + {DateTime.UnixEpoch.Ticks}, {AkkaPlugin.RecipientEventAkkaSerializer.Id}, s.type, s.payload
            FROM snapshots s
            WHERE NOT EXISTS (SELECT 1 FROM event_journal e WHERE e.persistence_id = s.persistence_id)
              AND NOT EXISTS (SELECT 1 FROM snapshot_store t WHERE t.persistence_id = s.persistence_id);
            INSERT INTO event_journal (persistence_id, sequence_nr, serializer_id, manifest, payload, written_at, writer_uuid, tags, deleted)
            SELECT j.persistence_id, j.sequence_nr, {AkkaPlugin.RecipientEventAkkaSerializer.Id}, j.type, j.payload, j.written_at, 'migration-10', NULL, 0
            FROM journal j
            WHERE NOT EXISTS (SELECT 1 FROM event_journal e WHERE e.persistence_id = j.persistence_id);
            """);
}
