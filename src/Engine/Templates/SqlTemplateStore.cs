using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using static Messaging.Engine.Persistence.Sql.SqlCommands;

namespace Messaging.Engine.Templates;

/// <summary>The template store in the journal's own database (SQLite or PostgreSQL), same SQL for both.</summary>
internal sealed class SqlTemplateStore(SqlJournal journal, TimeProvider timeProvider) : ITemplateStore
{
    private const string VersionColumns = "v.kind, v.name, v.version, v.definition, v.content_hash, v.created_at, v.source";

    private SqlDialect Dialect => journal.Dialect;

    public async Task<long> RevisionAsync(CancellationToken cancellationToken) =>
        await Dialect.RunAsync("Reading the template revision", forWrite: false, async (connection, ct) =>
        {
            using var command = Command(connection, null, "SELECT revision FROM template_catalog WHERE id = 1");
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }, cancellationToken).ConfigureAwait(false);

    public async Task<TemplateCatalogContent> LoadCurrentAsync(CancellationToken cancellationToken)
    {
        // The revision is read first: the content read after it is at least that new, so a change in between is
        // seen again at the next poll rather than missed.
        var revision = await RevisionAsync(cancellationToken).ConfigureAwait(false);
        var current = await QueryVersionsAsync("Loading the current templates", $"""
            SELECT {VersionColumns} FROM template_heads h
            JOIN template_versions v ON v.kind = h.kind AND v.name = h.name AND v.version = h.current_version
            """, _ => { }, cancellationToken).ConfigureAwait(false);
        return new TemplateCatalogContent(revision, current);
    }

    public async Task<IReadOnlyList<PushedTemplate>> PushAsync(
        IReadOnlyList<TemplateDraft> drafts, string? source, CancellationToken cancellationToken)
    {
        foreach (var draft in drafts)
        {
            TemplateNames.EnsureValid(draft.Name);
        }

        return await Dialect.RunAsync("Storing templates", forWrite: true, async (connection, ct) =>
        {
            var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var _ = transaction.ConfigureAwait(false);

            // Written first: it takes the write lock, so concurrent pushes queue here instead of racing for numbers.
            using (var bump = Command(connection, transaction, "UPDATE template_catalog SET revision = revision + 1 WHERE id = 1"))
            {
                await bump.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            var results = new List<PushedTemplate>();
            foreach (var draft in drafts)
            {
                var definition = JsonSerializer.Serialize(draft.Definition, TemplateJsonContext.Default.TemplateDefinition);
                var hash = HashOf(definition);
                var (currentVersion, currentHash) = await CurrentOfAsync(connection, transaction, draft.Kind, draft.Name, ct).ConfigureAwait(false);
                if (currentHash == hash)
                {
                    results.Add(new PushedTemplate(draft.Kind, draft.Name, currentVersion, Changed: false));
                    continue;
                }

                int next;
                using (var max = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM template_versions WHERE kind = @kind AND name = @name"))
                {
                    Bind(max, "kind", KindName(draft.Kind));
                    Bind(max, "name", draft.Name);
                    next = Convert.ToInt32(await max.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) + 1;
                }

                using (var insert = Command(connection, transaction, """
                    INSERT INTO template_versions (kind, name, version, definition, content_hash, created_at, source)
                    VALUES (@kind, @name, @version, @definition, @hash, @at, @source)
                    """))
                {
                    Bind(insert, "kind", KindName(draft.Kind));
                    Bind(insert, "name", draft.Name);
                    Bind(insert, "version", next);
                    Bind(insert, "definition", definition);
                    Bind(insert, "hash", hash);
                    Bind(insert, "at", now);
                    Bind(insert, "source", source);
                    await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                await SetCurrentAsync(connection, transaction, draft.Kind, draft.Name, next, now, ct).ConfigureAwait(false);
                results.Add(new PushedTemplate(draft.Kind, draft.Name, next, Changed: true));
            }

            if (results.Exists(r => r.Changed))
            {
                await transaction.CommitAsync(ct).ConfigureAwait(false);
            }
            else
            {
                // Nothing changed: leave the revision alone, so no node reloads for nothing.
                await transaction.RollbackAsync(ct).ConfigureAwait(false);
            }

            return (IReadOnlyList<PushedTemplate>)results;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task MakeCurrentAsync(TemplateKind kind, string name, int version, CancellationToken cancellationToken)
    {
        var found = await Dialect.RunAsync("Changing the current template version", forWrite: true, async (connection, ct) =>
        {
            var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var _ = transaction.ConfigureAwait(false);
            using (var bump = Command(connection, transaction, "UPDATE template_catalog SET revision = revision + 1 WHERE id = 1"))
            {
                await bump.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            using (var exists = Command(connection, transaction, "SELECT COUNT(*) FROM template_versions WHERE kind = @kind AND name = @name AND version = @version"))
            {
                Bind(exists, "kind", KindName(kind));
                Bind(exists, "name", name);
                Bind(exists, "version", version);
                if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
                {
                    await transaction.RollbackAsync(ct).ConfigureAwait(false);
                    return false;
                }
            }

            await SetCurrentAsync(connection, transaction, kind, name, version, timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

        if (!found)
        {
            var versions = await VersionsAsync(kind, name, cancellationToken).ConfigureAwait(false);
            throw new TemplateNotFoundException(versions.Count == 0
                ? $"There is no {KindName(kind)} '{name}'."
                : $"{KindTitle(kind)} '{name}' has no version {version}; it has versions {string.Join(", ", versions.Select(v => v.Version).Order())}.");
        }
    }

    public async Task<IReadOnlyList<TemplateSummary>> ListAsync(CancellationToken cancellationToken)
    {
        var current = await QueryVersionsAsync("Listing templates", $"""
            SELECT {VersionColumns}, h.changed_at,
                   (SELECT MAX(l.version) FROM template_versions l WHERE l.kind = h.kind AND l.name = h.name)
            FROM template_heads h
            JOIN template_versions v ON v.kind = h.kind AND v.name = h.name AND v.version = h.current_version
            ORDER BY v.kind DESC, v.name
            """, _ => { }, cancellationToken, reader => new TemplateSummary(
                ReadKind(reader.GetString(0)), reader.GetString(1), ReadDefinition(reader.GetString(3)).Channel,
                reader.GetInt32(2), Convert.ToInt32(reader.GetValue(8), CultureInfo.InvariantCulture),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)))).ConfigureAwait(false);
        return current;
    }

    public Task<IReadOnlyList<TemplateVersionInfo>> VersionsAsync(TemplateKind kind, string name, CancellationToken cancellationToken) =>
        QueryVersionsAsync("Listing template versions", """
            SELECT v.version, v.content_hash, v.created_at, v.source, h.current_version
            FROM template_versions v
            LEFT JOIN template_heads h ON h.kind = v.kind AND h.name = v.name
            WHERE v.kind = @kind AND v.name = @name
            ORDER BY v.version DESC
            """, command =>
            {
                Bind(command, "kind", KindName(kind));
                Bind(command, "name", name);
            }, cancellationToken, reader => new TemplateVersionInfo(
                reader.GetInt32(0), !reader.IsDBNull(4) && reader.GetInt32(4) == reader.GetInt32(0), reader.GetString(1),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)), reader.IsDBNull(3) ? null : reader.GetString(3)));

    public async Task<StoredTemplate?> GetAsync(TemplateKind kind, string name, int? version, CancellationToken cancellationToken)
    {
        var rows = await QueryVersionsAsync("Reading a template", version is null
            ? $"""
              SELECT {VersionColumns} FROM template_heads h
              JOIN template_versions v ON v.kind = h.kind AND v.name = h.name AND v.version = h.current_version
              WHERE h.kind = @kind AND h.name = @name
              """
            : $"SELECT {VersionColumns} FROM template_versions v WHERE v.kind = @kind AND v.name = @name AND v.version = @version",
            command =>
            {
                Bind(command, "kind", KindName(kind));
                Bind(command, "name", name);
                if (version is { } number)
                {
                    Bind(command, "version", number);
                }
            }, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static string KindName(TemplateKind kind) => TemplateNames.Of(kind);

    private static string KindTitle(TemplateKind kind) => kind == TemplateKind.Partial ? "Partial" : "Template";

    private static TemplateKind ReadKind(string kind) => kind == "partial" ? TemplateKind.Partial : TemplateKind.Template;

    private static TemplateDefinition ReadDefinition(string json) =>
        JsonSerializer.Deserialize(json, TemplateJsonContext.Default.TemplateDefinition)
        ?? throw new JournalFormatException("A stored template definition is null.");

    private static string HashOf(string definition) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(definition)));

    private static StoredTemplate ReadVersion(DbDataReader reader) => new(
        ReadKind(reader.GetString(0)), reader.GetString(1), reader.GetInt32(2), ReadDefinition(reader.GetString(3)),
        reader.GetString(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
        reader.IsDBNull(6) ? null : reader.GetString(6));

    private static async Task<(int Version, string? Hash)> CurrentOfAsync(
        DbConnection connection, DbTransaction transaction, TemplateKind kind, string name, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, """
            SELECT v.version, v.content_hash FROM template_heads h
            JOIN template_versions v ON v.kind = h.kind AND v.name = h.name AND v.version = h.current_version
            WHERE h.kind = @kind AND h.name = @name
            """);
        Bind(command, "kind", KindName(kind));
        Bind(command, "name", name);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = reader.ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? (reader.GetInt32(0), reader.GetString(1))
            : (0, null);
    }

    private static async Task SetCurrentAsync(
        DbConnection connection, DbTransaction transaction, TemplateKind kind, string name, int version, long now,
        CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, """
            INSERT INTO template_heads (kind, name, current_version, changed_at) VALUES (@kind, @name, @version, @at)
            ON CONFLICT (kind, name) DO UPDATE SET current_version = excluded.current_version, changed_at = excluded.changed_at
            """);
        Bind(command, "kind", KindName(kind));
        Bind(command, "name", name);
        Bind(command, "version", version);
        Bind(command, "at", now);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task<IReadOnlyList<StoredTemplate>> QueryVersionsAsync(
        string what, string sql, Action<DbCommand> bind, CancellationToken cancellationToken) =>
        QueryVersionsAsync(what, sql, bind, cancellationToken, ReadVersion);

    private Task<IReadOnlyList<T>> QueryVersionsAsync<T>(
        string what, string sql, Action<DbCommand> bind, CancellationToken cancellationToken, Func<DbDataReader, T> read) =>
        Dialect.RunAsync(what, forWrite: false, async (connection, ct) =>
        {
            using var command = Command(connection, null, sql);
            bind(command);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var _ = reader.ConfigureAwait(false);
            var rows = new List<T>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                rows.Add(read(reader));
            }

            return (IReadOnlyList<T>)rows;
        }, cancellationToken);
}
