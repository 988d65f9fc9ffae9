using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Templates;

/// <summary>
/// This node's view of the current templates: loaded from the store, compiled once per version on first use, and
/// replaced as a whole when the store's revision moves (polled every <see cref="TemplateOptions.RefreshInterval"/>).
/// A name it does not know makes it look at the store at once, so a template pushed a moment ago is found.
/// </summary>
public sealed partial class TemplateCatalog(ITemplateStore store, IOptions<TemplateOptions> options, ILogger<TemplateCatalog> logger)
{
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile Snapshot _snapshot = Snapshot.Empty;

    /// <summary>The store revision this node renders from; -1 before the first load.</summary>
    public long Revision => _snapshot.Revision;

    /// <summary>The current version of <paramref name="name"/>, compiled; null if the store has no such template.</summary>
    /// <exception cref="TemplateCompileException">The stored template does not compile with the current partials.</exception>
    /// <exception cref="Persistence.JournalStorageException">The store could not be read.</exception>
    public async ValueTask<CompiledTemplate?> FindAsync(string name, CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (!snapshot.Templates.ContainsKey(name))
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
            snapshot = _snapshot;
        }

        return snapshot.Templates.TryGetValue(name, out var template) ? snapshot.Compiled(template, options.Value) : null;
    }

    /// <summary>Reloads when the store changed since the last load; true if it did.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        var seen = _snapshot.Revision;
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_snapshot.Revision != seen)
            {
                // Another caller refreshed while this one waited: that is fresh enough.
                return true;
            }

            var revision = await store.RevisionAsync(cancellationToken).ConfigureAwait(false);
            if (revision == _snapshot.Revision)
            {
                return false;
            }

            var content = await store.LoadCurrentAsync(cancellationToken).ConfigureAwait(false);
            var previous = _snapshot;
            _snapshot = Snapshot.Of(content, previous);
            LogLoaded(content.Revision, _snapshot.Templates.Count, _snapshot.Partials.Count);
            return true;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>The current templates and partials at one revision, and what has been compiled of them.</summary>
    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = new(-1, new Dictionary<string, StoredTemplate>(), new Dictionary<string, StoredTemplate>(), new());

        private readonly ConcurrentDictionary<(string Name, int Version), Lazy<CompiledTemplate>> _compiled;

        private Snapshot(
            long revision, Dictionary<string, StoredTemplate> templates, Dictionary<string, StoredTemplate> partials,
            ConcurrentDictionary<(string Name, int Version), Lazy<CompiledTemplate>> compiled)
        {
            Revision = revision;
            Templates = templates;
            Partials = partials;
            _compiled = compiled;
        }

        public long Revision { get; }

        public Dictionary<string, StoredTemplate> Templates { get; }

        public Dictionary<string, StoredTemplate> Partials { get; }

        public static Snapshot Of(TemplateCatalogContent content, Snapshot previous)
        {
            var templates = content.Current.Where(t => t.Kind == TemplateKind.Template).ToDictionary(t => t.Name, StringComparer.Ordinal);
            var partials = content.Partials();

            // Compiled templates bind their partials, so they carry over only while every partial is unchanged.
            var samePartials = partials.Count == previous.Partials.Count
                && partials.All(p => previous.Partials.TryGetValue(p.Key, out var old) && old.Version == p.Value.Version);
            var compiled = new ConcurrentDictionary<(string, int), Lazy<CompiledTemplate>>();
            if (samePartials)
            {
                foreach (var (key, value) in previous._compiled)
                {
                    if (templates.TryGetValue(key.Name, out var current) && current.Version == key.Version)
                    {
                        compiled[key] = value;
                    }
                }
            }

            return new Snapshot(content.Revision, templates, partials, compiled);
        }

        public CompiledTemplate Compiled(StoredTemplate template, TemplateOptions options) =>
            _compiled.GetOrAdd(
                (template.Name, template.Version),
                _ => new Lazy<CompiledTemplate>(() => CompiledTemplate.Compile(template, Partials, options))).Value;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Templates at revision {Revision}: {Templates} templates, {Partials} partials")]
    private partial void LogLoaded(long revision, int templates, int partials);
}
