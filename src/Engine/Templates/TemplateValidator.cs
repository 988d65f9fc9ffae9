using HandlebarsDotNet.Compiler;
using Messaging.Contracts.Requests;
using Messaging.Engine.Sending;

namespace Messaging.Engine.Templates;

/// <summary>
/// Checks templates as they would be after a push: the pushed templates and partials over what the store holds now.
/// Each pushed template must compile, render its sample data strictly, use every variable it declares and declare every
/// one it uses, and (SMS) fit the segment limit. When partials change, every stored template is rendered again with
/// its sample data, since a partial can break a template nobody touched.
/// </summary>
public static class TemplateValidator
{
    public static IReadOnlyList<TemplateProblem> Validate(
        IReadOnlyList<TemplateSource> sources, TemplateCatalogContent current, TemplateOptions defaults, SendingOptions sending)
    {
        var problems = new List<TemplateProblem>();
        var partials = current.Partials();
        foreach (var source in sources.Where(s => s.Draft.Kind == TemplateKind.Partial))
        {
            // A partial that does not compile is reported once, here; templates using it then report it as missing.
            partials.Remove(source.Draft.Name);
            if (CheckPartial(source, problems))
            {
                partials[source.Draft.Name] = StoredTemplate.Unsaved(source.Draft);
            }
        }

        foreach (var source in sources.Where(s => s.Draft.Kind == TemplateKind.Template))
        {
            CheckTemplate(StoredTemplate.Unsaved(source.Draft), source.Files, partials, defaults, sending, problems);
        }

        if (sources.Any(s => s.Draft.Kind == TemplateKind.Partial))
        {
            var pushed = sources.Select(s => s.Draft.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var stored in current.Current.Where(t => t.Kind == TemplateKind.Template && !pushed.Contains(t.Name)))
            {
                // Not in this push, but rendered with the new partials: report it by its stored name and version.
                CheckTemplate(stored, new Dictionary<string, TemplateFile>(), partials, defaults, sending, problems);
            }
        }

        return problems;
    }

    private static bool CheckPartial(TemplateSource source, List<TemplateProblem> problems)
    {
        var alone = new Dictionary<string, StoredTemplate>(StringComparer.Ordinal) { [source.Draft.Name] = StoredTemplate.Unsaved(source.Draft) };
        var probe = StoredTemplate.Unsaved(new TemplateDraft(TemplateKind.Template, source.Draft.Name, new TemplateDefinition(Channel.Email, Html: "", Text: "")));
        try
        {
            CompiledTemplate.Compile(probe, alone, new TemplateOptions());
            return true;
        }
        catch (TemplateCompileException e)
        {
            var file = source.Files.GetValueOrDefault(e.Part)?.Path ?? $"{TemplateFolder.PartialsFolder}/{source.Draft.Name}";
            problems.Add(new TemplateProblem(file, e.Line, e.Message));
            return false;
        }
    }

    private static void CheckTemplate(
        StoredTemplate template, IReadOnlyDictionary<string, TemplateFile> files, Dictionary<string, StoredTemplate> partials,
        TemplateOptions defaults, SendingOptions sending, List<TemplateProblem> problems)
    {
        var definition = template.Definition;
        var metadata = files.GetValueOrDefault("metadata");
        var where = metadata?.Path ?? $"{template.Name} (stored v{template.Version})";
        void Add(string part, int? line, string message) =>
            problems.Add(new TemplateProblem(files.GetValueOrDefault(part)?.Path ?? where, line, message));

        CompiledTemplate compiled;
        try
        {
            compiled = CompiledTemplate.Compile(template, partials, defaults);
        }
        catch (TemplateCompileException e)
        {
            Add(e.Part, e.Line, e.Message);
            return;
        }

        var declared = definition.Variables ?? [];
        var sample = TemplateData.From(definition.SampleData);
        var lacking = declared.Where(v => !sample.ContainsKey(v.Name)).ToList();
        foreach (var variable in lacking)
        {
            Add("metadata", metadata is null ? null : TemplateFolder.LineOf(metadata.Text, "\"sampleData\""),
                $"sampleData has no value for variable '{variable.Name}'; give every declared variable a sample value");
        }

        if (lacking.Count > 0)
        {
            return;
        }

        RenderedContent full;
        try
        {
            full = compiled.RenderSample(TemplateData.From(definition.SampleData));
        }
        catch (TemplateRenderException e)
        {
            var missing = (e.InnerException as HandlebarsUndefinedBindingException)?.MissingKey;
            var (part, line) = missing is null ? ("metadata", (int?)null) : Locate(files, missing);
            Add(part, line, missing is null
                ? $"the sample data does not render: {e.Message}"
                : $"uses '{missing}', which is neither declared in variables nor in sampleData");
            return;
        }

        // A variable is used when blanking it changes the output, with the full sample or with the optional ones blank
        // too: {{default nickname name}} shows name only when nickname is absent.
        var optionalBlank = TemplateData.From(definition.SampleData);
        foreach (var optional in declared.Where(v => !v.Required))
        {
            optionalBlank[optional.Name] = null;
        }

        var baselines = new[] { (Data: TemplateData.From(definition.SampleData), Output: (RenderedContent?)full), (Data: optionalBlank, Output: Renders(compiled, new(optionalBlank))) };
        foreach (var variable in declared)
        {
            var used = baselines.Any(baseline =>
            {
                var without = new Dictionary<string, object?>(baseline.Data) { [variable.Name] = null };
                return Renders(compiled, without) != baseline.Output;
            });
            if (!used)
            {
                Add("metadata", metadata is null ? null : TemplateFolder.LineOf(metadata.Text, $"\"{variable.Name}\""),
                    $"variable '{variable.Name}' is declared but the template does not use it (blanking its sample value changes nothing)");
            }
        }

        var declaredNames = declared.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in sample.Keys.Where(k => !declaredNames.Contains(k)))
        {
            var without = TemplateData.From(definition.SampleData);
            without.Remove(name);
            if (Renders(compiled, without) != full)
            {
                var (part, line) = Locate(files, name);
                Add(part, line, $"uses '{name}' without declaring it in variables (a request without it would fail)");
            }
        }

        if (compiled.Channel == Channel.Sms && full.Text is { } text)
        {
            var segments = SmsSegments.Measure(text);
            if (segments.Segments > sending.SmsMaxSegments)
            {
                Add("text", null,
                    $"the sample renders to {segments.Segments} SMS segments ({segments.Encoding}{(segments.ForcedBy is { } c ? $", because of '{c}'" : "")}), more than the {sending.SmsMaxSegments} allowed");
            }
        }
    }

    private static RenderedContent? Renders(CompiledTemplate compiled, Dictionary<string, object?> data)
    {
        try
        {
            return compiled.RenderSample(data);
        }
        catch (TemplateRenderException)
        {
            return null;
        }
    }

    /// <summary>The part and line where a variable first appears inside a mustache.</summary>
    private static (string Part, int? Line) Locate(IReadOnlyDictionary<string, TemplateFile> files, string variable)
    {
        foreach (var part in new[] { "subject", "html", "text" })
        {
            if (files.GetValueOrDefault(part) is not { } file)
            {
                continue;
            }

            var lines = file.Text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var open = lines[i].IndexOf("{{", StringComparison.Ordinal);
                if (open >= 0 && lines[i].IndexOf(variable, open, StringComparison.Ordinal) >= 0)
                {
                    return (part, i + 1);
                }
            }
        }

        return ("metadata", null);
    }
}
