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

    /// <summary>
    /// A partial is parsed in the syntax of the template including it, so it must parse in one of them; when it parses in
    /// neither, the problem is told in the syntax it looks written in (Liquid when it has <c>{%</c> tags).
    /// </summary>
    private static bool CheckPartial(TemplateSource source, List<TemplateProblem> problems)
    {
        foreach (var (part, text) in new[] { ("html", source.Draft.Definition.Html), ("text", source.Draft.Definition.Text) })
        {
            if (text is null)
            {
                continue;
            }

            var likely = text.Contains("{%", StringComparison.Ordinal) ? TemplateSyntax.Liquid : TemplateSyntax.Scriban;
            var other = likely == TemplateSyntax.Liquid ? TemplateSyntax.Scriban : TemplateSyntax.Liquid;
            if (!TemplateParser.Parse(text, part, likely).HasErrors || !TemplateParser.Parse(text, part, other).HasErrors)
            {
                continue;
            }

            try
            {
                TemplateParser.ParseOrThrow(text, part, likely);
            }
            catch (TemplateCompileException e)
            {
                var file = source.Files.GetValueOrDefault(part)?.Path ?? $"{TemplateFolder.PartialsFolder}/{source.Draft.Name}";
                problems.Add(new TemplateProblem(file, e.Line, $"does not compile as {TemplateParser.NameOf(likely)}: {e.Message}"));
                return false;
            }
        }

        return true;
    }

    private static void CheckTemplate(
        StoredTemplate template, IReadOnlyDictionary<string, TemplateFile> files, Dictionary<string, StoredTemplate> partials,
        TemplateOptions defaults, SendingOptions sending, List<TemplateProblem> problems)
    {
        var definition = template.Definition;
        var metadata = files.GetValueOrDefault("metadata");
        var where = metadata?.Path ?? $"{template.Name} (stored v{template.Version})";
        void Add(string part, int? line, string message)
        {
            // A line means something only in a file: a stored template is named by its version instead.
            var file = files.GetValueOrDefault(part);
            problems.Add(new TemplateProblem(file?.Path ?? where, file is null ? null : line, message));
        }

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
            var (part, line) = e.Missing is null ? ("metadata", (int?)null) : Locate(files, e);
            Add(part, line, e.Missing is null
                ? $"the sample data does not render: {e.Message}"
                : $"uses '{e.Missing}', which is neither declared in variables nor in sampleData");
            return;
        }

        // A variable is used when blanking it changes the output, with the full sample or with the optional ones blank
        // too: {{ default nickname name }} shows name only when nickname is absent.
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
            try
            {
                if (compiled.RenderSample(without) != full)
                {
                    Add("metadata", metadata is null ? null : TemplateFolder.LineOf(metadata.Text, $"\"{name}\""),
                        $"uses '{name}' without declaring it in variables (its output depends on it)");
                }
            }
            catch (TemplateRenderException e)
            {
                var (part, line) = Locate(files, e);
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

    /// <summary>The file and line where the render met the missing value: its own part's span, else the metadata.</summary>
    private static (string Part, int? Line) Locate(IReadOnlyDictionary<string, TemplateFile> files, TemplateRenderException e) =>
        e.Part is { } part && files.ContainsKey(part) && part != "subject" ? (part, e.Line) : (e.Part ?? "metadata", null);
}
