using System.Text.Json;
using Messaging.Contracts.Requests;

namespace Messaging.Engine.Templates;

/// <summary>A template is what a request names; a partial is a shared piece (header, footer, layout) templates include.</summary>
public enum TemplateKind
{
    Template,
    Partial,
}

/// <summary>
/// One version of a template or partial: its sources (Scriban or Liquid) and, for a template, its defaults, declared
/// variables and sample data. Stored as JSON and never changed once stored.
/// </summary>
/// <param name="Channel">Email or SMS; null for a partial.</param>
/// <param name="Subject">Email subject (a template, not escaped).</param>
/// <param name="Html">Email HTML body, or a partial's HTML form (every value escaped).</param>
/// <param name="Text">Email text body, the SMS text, or a partial's text form (not escaped).</param>
/// <param name="From">Default sender (email address or SMS origination identity); the request may override it.</param>
/// <param name="ConfigurationSet">Default SES configuration set; the request may override it.</param>
/// <param name="Culture">Culture for number, currency and date helpers (e.g. <c>pt-PT</c>); the engine's default if null.</param>
/// <param name="TimeZone">IANA time zone for date helpers (e.g. <c>Europe/Lisbon</c>); the engine's default if null.</param>
/// <param name="Syntax">The language of the template's parts; Scriban if null (and for every version stored before
/// the field existed). A partial has none: it is parsed in the syntax of the template including it.</param>
public sealed record TemplateDefinition(
    Channel? Channel = null,
    string? Subject = null,
    string? Html = null,
    string? Text = null,
    string? From = null,
    string? ConfigurationSet = null,
    string? Culture = null,
    string? TimeZone = null,
    IReadOnlyList<TemplateVariable>? Variables = null,
    JsonElement? SampleData = null,
    string? Description = null,
    TemplateSyntax? Syntax = null);

/// <summary>A variable a template declares. A required one missing from a request's data fails that request.</summary>
public sealed record TemplateVariable(string Name, bool Required = true, string? Description = null);

/// <summary>A template or partial to be stored: the next version of <paramref name="Name"/>, unless identical to the current.</summary>
public sealed record TemplateDraft(TemplateKind Kind, string Name, TemplateDefinition Definition);

/// <summary>A stored version.</summary>
public sealed record StoredTemplate(
    TemplateKind Kind, string Name, int Version, TemplateDefinition Definition, string ContentHash,
    DateTimeOffset CreatedAt, string? Source)
{
    /// <summary>A draft as it would be stored (version 0): what validation and previews of a folder render.</summary>
    public static StoredTemplate Unsaved(TemplateDraft draft) =>
        new(draft.Kind, draft.Name, 0, draft.Definition, "", DateTimeOffset.MinValue, null);

    /// <summary>How logs, events and operators name it: <c>order-shipped@3</c>.</summary>
    public string Label => $"{(Kind == TemplateKind.Partial ? "partial " : "")}{Name}@{Version}";
}

/// <summary>A version in a template's history, and whether it is the current one.</summary>
public sealed record TemplateVersionInfo(int Version, bool Current, string ContentHash, DateTimeOffset CreatedAt, string? Source);

/// <summary>A template or partial as listed: its current version and how many there are.</summary>
public sealed record TemplateSummary(
    TemplateKind Kind, string Name, Channel? Channel, int CurrentVersion, int LatestVersion, DateTimeOffset ChangedAt);

/// <summary>Every current template and partial at one catalog revision.</summary>
public sealed record TemplateCatalogContent(long Revision, IReadOnlyList<StoredTemplate> Current)
{
    /// <summary>The current partials by name: what a template is compiled with.</summary>
    public Dictionary<string, StoredTemplate> Partials() =>
        Current.Where(t => t.Kind == TemplateKind.Partial).ToDictionary(t => t.Name, StringComparer.Ordinal);
}

/// <summary>What a push did to one template or partial.</summary>
public sealed record PushedTemplate(TemplateKind Kind, string Name, int Version, bool Changed);
