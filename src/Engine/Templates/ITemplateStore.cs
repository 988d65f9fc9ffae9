namespace Messaging.Engine.Templates;

/// <summary>
/// Versioned templates and partials in the engine's database. A version is never overwritten: a changed push adds the
/// next version and makes it current; rolling back makes an older version current. Storage failures surface as
/// <see cref="Persistence.JournalStorageException"/>.
/// </summary>
public interface ITemplateStore
{
    /// <summary>Goes up with every change of a current version; one cheap read, polled by every node.</summary>
    Task<long> RevisionAsync(CancellationToken cancellationToken);

    /// <summary>Every current template and partial, with the revision they are at least as new as.</summary>
    Task<TemplateCatalogContent> LoadCurrentAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores all drafts in one transaction: each that differs from its current version becomes a new, current version;
    /// an identical one is left as it is. Either every draft is stored or none.
    /// </summary>
    Task<IReadOnlyList<PushedTemplate>> PushAsync(
        IReadOnlyList<TemplateDraft> drafts, string? source, CancellationToken cancellationToken);

    /// <summary>Makes a stored version current (a rollback, or a roll forward again).</summary>
    /// <exception cref="TemplateNotFoundException">No such template or version.</exception>
    Task MakeCurrentAsync(TemplateKind kind, string name, int version, CancellationToken cancellationToken);

    Task<IReadOnlyList<TemplateSummary>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Every version, newest first; empty if there is no such template.</summary>
    Task<IReadOnlyList<TemplateVersionInfo>> VersionsAsync(TemplateKind kind, string name, CancellationToken cancellationToken);

    /// <summary>A version, or the current one when <paramref name="version"/> is null; null if there is none.</summary>
    Task<StoredTemplate?> GetAsync(TemplateKind kind, string name, int? version, CancellationToken cancellationToken);
}

/// <summary>A template, partial or version that the store does not have.</summary>
public sealed class TemplateNotFoundException(string message) : Exception(message);
