using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.Contracts.Requests;

namespace Messaging.Engine.Templates;

/// <summary>A problem found in a template folder: the file (relative to the folder), the line when known, and what is wrong.</summary>
public sealed record TemplateProblem(string File, int? Line, string Message)
{
    public override string ToString() => Line is { } line ? $"{File}:{line}: {Message}" : $"{File}: {Message}";
}

/// <summary>A template or partial read from a folder, with the files it came from (for reporting problems by line).</summary>
/// <param name="Files">Part (<c>subject</c>, <c>html</c>, <c>text</c>, <c>metadata</c>) → the file and its text.</param>
public sealed record TemplateSource(TemplateDraft Draft, IReadOnlyDictionary<string, TemplateFile> Files);

/// <summary>A file of a template folder: its path relative to the folder, and its text.</summary>
public sealed record TemplateFile(string Path, string Text);

/// <summary>Everything read from a folder, and every problem found while reading it.</summary>
public sealed record TemplateFolderContent(IReadOnlyList<TemplateSource> Sources, IReadOnlyList<TemplateProblem> Problems);

/// <summary>
/// Reads templates from the layout content teams keep in version control:
/// <code>
/// DIR/order-shipped/template.html   HTML body (email)
/// DIR/order-shipped/template.txt    text body (email; optional when there is HTML) or the SMS text
/// DIR/order-shipped/metadata.json   channel, syntax, subject, from, configurationSet, culture, timeZone, variables, sampleData
/// DIR/_partials/footer.html         a partial, used as {{ include "footer" }}; footer.txt is its text form
/// </code>
/// Every problem is collected; nothing stops at the first.
/// </summary>
public static class TemplateFolder
{
    public const string PartialsFolder = "_partials";
    public const string HtmlFile = "template.html";
    public const string TextFile = "template.txt";
    public const string MetadataFile = "metadata.json";

    public static TemplateFolderContent Read(string directory)
    {
        var sources = new List<TemplateSource>();
        var problems = new List<TemplateProblem>();
        if (!Directory.Exists(directory))
        {
            problems.Add(new TemplateProblem(directory, null, "no such folder"));
            return new TemplateFolderContent(sources, problems);
        }

        foreach (var folder in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            if (name.StartsWith('.'))
            {
                continue;
            }

            if (name == PartialsFolder)
            {
                ReadPartials(directory, folder, sources, problems);
            }
            else if (!TemplateNames.IsValid(name))
            {
                problems.Add(new TemplateProblem(name, null,
                    $"'{name}' is not a valid template name: letters, digits, '_' and '-' only, at most {TemplateNames.MaxLength} characters"));
            }
            else
            {
                ReadTemplate(directory, folder, name, sources, problems);
            }
        }

        if (sources.Count == 0 && problems.Count == 0)
        {
            problems.Add(new TemplateProblem(directory, null, $"no templates: expected folders like NAME/{HtmlFile} and NAME/{MetadataFile}"));
        }

        return new TemplateFolderContent(sources, problems);
    }

    private static void ReadPartials(string root, string folder, List<TemplateSource> sources, List<TemplateProblem> problems)
    {
        var files = Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal).ToList();
        foreach (var group in files.GroupBy(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal))
        {
            var name = group.Key;
            var parts = new Dictionary<string, TemplateFile>(StringComparer.Ordinal);
            foreach (var file in group)
            {
                var relative = Relative(root, file);
                switch (Path.GetExtension(file))
                {
                    case ".html":
                        parts["html"] = new TemplateFile(relative, File.ReadAllText(file));
                        break;
                    case ".txt":
                        parts["text"] = new TemplateFile(relative, File.ReadAllText(file));
                        break;
                    default:
                        problems.Add(new TemplateProblem(relative, null, "unexpected file: a partial is NAME.html and/or NAME.txt"));
                        break;
                }
            }

            if (parts.Count == 0)
            {
                continue;
            }

            if (!TemplateNames.IsValid(name))
            {
                problems.Add(new TemplateProblem(parts.Values.First().Path, null,
                    $"'{name}' is not a valid partial name: letters, digits, '_' and '-' only"));
                continue;
            }

            var definition = new TemplateDefinition(Html: parts.GetValueOrDefault("html")?.Text, Text: parts.GetValueOrDefault("text")?.Text);
            sources.Add(new TemplateSource(new TemplateDraft(TemplateKind.Partial, name, definition), parts));
        }
    }

    private static void ReadTemplate(string root, string folder, string name, List<TemplateSource> sources, List<TemplateProblem> problems)
    {
        var parts = new Dictionary<string, TemplateFile>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            var relative = Relative(root, file);
            var part = Path.GetFileName(file) switch
            {
                HtmlFile => "html",
                TextFile => "text",
                MetadataFile => "metadata",
                _ => null,
            };
            if (part is null)
            {
                problems.Add(new TemplateProblem(relative, null, $"unexpected file: a template folder holds {HtmlFile}, {TextFile} and {MetadataFile}"));
                continue;
            }

            parts[part] = new TemplateFile(relative, File.ReadAllText(file));
        }

        var metadataPath = $"{name}/{MetadataFile}";
        if (!parts.TryGetValue("metadata", out var metadataFile))
        {
            problems.Add(new TemplateProblem(metadataPath, null, "missing: every template needs its metadata (at least \"channel\", and \"subject\" for email)"));
            return;
        }

        TemplateMetadataFile metadata;
        try
        {
            metadata = JsonSerializer.Deserialize(metadataFile.Text, TemplateMetadataJsonContext.Default.TemplateMetadataFile)
                ?? throw new JsonException("the file holds null; expected an object", null, 0, 0);
        }
        catch (JsonException e)
        {
            problems.Add(new TemplateProblem(metadataFile.Path, e.LineNumber is { } line ? (int)line + 1 : null, JsonProblem(e)));
            return;
        }

        var before = problems.Count;
        var html = parts.GetValueOrDefault("html")?.Text;
        var text = parts.GetValueOrDefault("text")?.Text;
        if (metadata.Channel is null)
        {
            problems.Add(new TemplateProblem(metadataFile.Path, null, "\"channel\" is required: \"email\" or \"sms\""));
        }
        else if (metadata.Channel == Channel.Email)
        {
            if (string.IsNullOrWhiteSpace(metadata.Subject))
            {
                problems.Add(new TemplateProblem(metadataFile.Path, null, "\"subject\" is required for an email template"));
            }

            if (html is null && text is null)
            {
                problems.Add(new TemplateProblem($"{name}/{HtmlFile}", null, $"missing: an email template needs {HtmlFile}, {TextFile}, or both"));
            }

            if (metadata.From is { } from && Contracts.Validation.EmailAddressRule.CheckSender(from) is { } bad)
            {
                problems.Add(new TemplateProblem(metadataFile.Path, LineOf(metadataFile.Text, "\"from\""), $"\"from\" {bad}"));
            }
        }
        else
        {
            if (text is null)
            {
                problems.Add(new TemplateProblem($"{name}/{TextFile}", null, "missing: an SMS template is its text"));
            }

            if (html is not null)
            {
                problems.Add(new TemplateProblem($"{name}/{HtmlFile}", null, "an SMS template has no HTML; remove the file"));
            }

            if (metadata.Subject is not null)
            {
                problems.Add(new TemplateProblem(metadataFile.Path, LineOf(metadataFile.Text, "\"subject\""), "an SMS has no subject; remove \"subject\""));
            }
        }

        var variables = new List<TemplateVariable>();
        foreach (var (variable, spec) in metadata.Variables ?? [])
        {
            if (variable.Length == 0 || !variable.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                problems.Add(new TemplateProblem(metadataFile.Path, LineOf(metadataFile.Text, $"\"{variable}\""),
                    $"variable '{variable}' is not a valid name: letters, digits and '_' only"));
                continue;
            }

            variables.Add(new TemplateVariable(variable, spec?.Required ?? true, spec?.Description));
        }

        if (metadata.SampleData is { ValueKind: not JsonValueKind.Object })
        {
            problems.Add(new TemplateProblem(metadataFile.Path, LineOf(metadataFile.Text, "\"sampleData\""), "\"sampleData\" must be an object"));
        }

        if (problems.Count > before)
        {
            return;
        }

        if (metadata.Subject is not null)
        {
            parts["subject"] = metadataFile;
        }

        var definition = new TemplateDefinition(
            metadata.Channel, metadata.Subject, html, text, metadata.From, metadata.ConfigurationSet, metadata.Culture,
            metadata.TimeZone, variables, metadata.SampleData, metadata.Description, metadata.Syntax);
        sources.Add(new TemplateSource(new TemplateDraft(TemplateKind.Template, name, definition), parts));
    }

    /// <summary>The 1-based line of the first occurrence of <paramref name="needle"/>, or null.</summary>
    internal static int? LineOf(string text, string needle)
    {
        var at = text.IndexOf(needle, StringComparison.Ordinal);
        return at < 0 ? null : text.AsSpan(0, at).Count('\n') + 1;
    }

    private static string JsonProblem(JsonException e)
    {
        const string unmapped = "could not be mapped to any .NET member";
        if (e.Message.Contains(unmapped, StringComparison.Ordinal) && e.Path is { } path)
        {
            return $"unknown field '{path.TrimStart('$', '.')}' (known: channel, syntax, description, subject, from, configurationSet, culture, timeZone, variables, sampleData)";
        }

        if (e.Path == "$.syntax")
        {
            return "\"syntax\" must be \"scriban\" (the default) or \"liquid\"";
        }

        if (e.InnerException is null && e.Path is { Length: > 1 } where)
        {
            return $"{where} has a value of the wrong type";
        }

        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return "not valid JSON: " + (cut < 0 ? message : message[..cut]);
    }

    private static string Relative(string root, string file) => Path.GetRelativePath(root, file).Replace('\\', '/');
}

/// <summary>The shape of <c>metadata.json</c>.</summary>
internal sealed record TemplateMetadataFile(
    Channel? Channel = null,
    TemplateSyntax? Syntax = null,
    string? Description = null,
    string? Subject = null,
    string? From = null,
    string? ConfigurationSet = null,
    string? Culture = null,
    string? TimeZone = null,
    Dictionary<string, TemplateVariableSpec?>? Variables = null,
    JsonElement? SampleData = null);

/// <summary>A variable's entry in <c>metadata.json</c>: <c>{ "required": false, "description": "…" }</c>.</summary>
internal sealed record TemplateVariableSpec(bool Required = true, string? Description = null);

/// <summary>Reads <c>metadata.json</c> strictly: a misspelt field is a problem, not silently ignored.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(TemplateMetadataFile))]
internal sealed partial class TemplateMetadataJsonContext : JsonSerializerContext;
