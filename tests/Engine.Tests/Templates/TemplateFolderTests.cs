using Messaging.Contracts.Requests;
using Messaging.Engine.Sending;
using Messaging.Engine.Templates;

namespace Messaging.Engine.Tests.Templates;

/// <summary>Reading a template folder and validating it as a push would: every problem, by file and line, at once.</summary>
public sealed class TemplateFolderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"messaging-template-folder-{Guid.NewGuid():N}");

    private static readonly TemplateCatalogContent EmptyStore = new(0, []);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string path, string text)
    {
        var full = Path.Combine(_root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text.ReplaceLineEndings("\n"));
    }

    private IReadOnlyList<string> ReadAndValidate(TemplateCatalogContent? store = null)
    {
        var read = TemplateFolder.Read(_root);
        return read.Problems.Concat(TemplateValidator.Validate(read.Sources, store ?? EmptyStore, new TemplateOptions(), new SendingOptions()))
            .Select(p => p.ToString()).Order(StringComparer.Ordinal).ToList();
    }

    private void WriteGoodTemplate(string name = "good")
    {
        Write($"{name}/template.html", "<p>Hi {{ name }}</p>\n{{ include \"footer\" }}");
        Write($"{name}/metadata.json", """
            { "channel": "email", "subject": "Hello {{ name }}",
              "variables": { "name": {} }, "sampleData": { "name": "Ana" } }
            """);
        Write("_partials/footer.html", "<footer>Shop</footer>");
    }

    [Fact]
    public void A_valid_folder_reads_into_drafts_with_nothing_to_report()
    {
        WriteGoodTemplate();
        Write("sms-code/template.txt", "Code {{ code }}\n");
        Write("sms-code/metadata.json", """{ "channel": "sms", "variables": { "code": { "description": "six digits" } }, "sampleData": { "code": "123456" } }""");

        var read = TemplateFolder.Read(_root);

        Assert.Empty(ReadAndValidate());
        Assert.Equal(["footer", "good", "sms-code"], read.Sources.Select(s => s.Draft.Name).Order());
        var good = read.Sources.Single(s => s.Draft.Name == "good").Draft;
        Assert.Equal((TemplateKind.Template, Channel.Email, "Hello {{ name }}"), (good.Kind, good.Definition.Channel!.Value, good.Definition.Subject));
        var sms = read.Sources.Single(s => s.Draft.Name == "sms-code").Draft.Definition;
        Assert.Equal(new TemplateVariable("code", true, "six digits"), Assert.Single(sms.Variables!));
        Assert.Equal(TemplateKind.Partial, read.Sources.Single(s => s.Draft.Name == "footer").Draft.Kind);
    }

    [Fact]
    public void Problems_in_many_files_are_all_reported_with_their_file_and_line()
    {
        WriteGoodTemplate();
        Write("broken-json/template.html", "<p>x</p>");
        Write("broken-json/metadata.json", "{\n  \"channel\": \"email\",\n  \"subject\": \"x\"\n  \"variables\": {}\n}");
        Write("typo/template.html", "<p>x</p>");
        Write("typo/metadata.json", "{\n  \"channel\": \"email\",\n  \"subject\": \"x\",\n  \"sampledata\": {}\n}");
        Write("bad-html/template.html", "<p>one</p>\n<p>two {{ name</p>");
        Write("bad-html/metadata.json", """{ "channel": "email", "subject": "x", "variables": { "name": {} }, "sampleData": { "name": "a" } }""");
        Write("undeclared/template.html", "<p>Hi {{ name }}</p>\n\n<p>{{ surname }}</p>");
        Write("undeclared/metadata.json", """{ "channel": "email", "subject": "x", "variables": { "name": {} }, "sampleData": { "name": "a" } }""");
        Write("unused/template.html", "<p>Hi {{ name }}</p>");
        Write("unused/metadata.json", "{ \"channel\": \"email\", \"subject\": \"x\",\n  \"variables\": {\n    \"name\": {},\n    \"coupon\": { \"required\": false }\n  },\n  \"sampleData\": { \"name\": \"a\", \"coupon\": \"C10\" } }");
        Write("no-sample/template.html", "<p>{{ name }}</p>");
        Write("no-sample/metadata.json", """{ "channel": "email", "subject": "x", "variables": { "name": {} } }""");
        Write("no-subject/template.html", "<p>x</p>");
        Write("no-subject/metadata.json", """{ "channel": "email" }""");
        Write("sms-long/template.txt", "{{ body }} 😀");
        Write("sms-long/metadata.json", $$"""{ "channel": "sms", "variables": { "body": {} }, "sampleData": { "body": "{{new string('x', 500)}}" } }""");
        Write("_partials/header.html", "<header>\n{{ if logo }}<img>\n{% endif %}</header>");
        Write("Bad Name/template.html", "x");
        Write("extra/template.html", "<p>x</p>");
        Write("extra/metadata.json", """{ "channel": "email", "subject": "x" }""");
        Write("extra/notes.md", "todo");

        var problems = ReadAndValidate();

        Assert.Equal(
        [
            "Bad Name: 'Bad Name' is not a valid template name: letters, digits, '_' and '-' only, at most 64 characters",
            "_partials/header.html:3: does not compile as liquid: Unable to find a pending `if`/`else` for this `endif`",
            "bad-html/template.html:2: Error while parsing binary expression: Expecting an <expression> to the right of the operator instead of `/` in: <expression> operator <expression>",
            "broken-json/metadata.json:4: not valid JSON: '\"' is invalid after a value. Expected either ',', '}', or ']'.",
            "extra/notes.md: unexpected file: a template folder holds template.html, template.txt and metadata.json",
            "no-sample/metadata.json: sampleData has no value for variable 'name'; give every declared variable a sample value",
            "no-subject/metadata.json: \"subject\" is required for an email template",
            "sms-long/template.txt: the sample renders to 8 SMS segments (Ucs2, because of '😀'), more than the 6 allowed",
            "typo/metadata.json:4: unknown field 'sampledata' (known: channel, syntax, description, subject, from, configurationSet, culture, timeZone, variables, sampleData)",
            "undeclared/template.html:3: uses 'surname', which is neither declared in variables nor in sampleData",
            "unused/metadata.json:4: variable 'coupon' is declared but the template does not use it (blanking its sample value changes nothing)",
        ], problems);
    }

    [Fact]
    public void Changing_a_partial_re_checks_stored_templates_that_are_not_in_the_push()
    {
        Write("_partials/footer.html", "<footer>{{ unsubscribeUrl }}</footer>");
        var stored = new StoredTemplate(TemplateKind.Template, "newsletter", 4,
            new TemplateDefinition(Channel.Email, "News", "<p>{{ title }}</p>{{ include \"footer\" }}", Variables: [new TemplateVariable("title")],
                SampleData: System.Text.Json.JsonDocument.Parse("""{"title":"Fall"}""").RootElement.Clone()),
            "hash", DateTimeOffset.UnixEpoch, null);

        var problems = ReadAndValidate(new TemplateCatalogContent(9, [stored]));

        Assert.Equal(["newsletter (stored v4): uses 'unsubscribeUrl', which is neither declared in variables nor in sampleData"], problems);
    }

    [Fact]
    public void A_variable_used_only_as_a_fallback_counts_as_used()
    {
        Write("welcome/template.html", "<p>{{ default nickname name }}</p>");
        Write("welcome/metadata.json", """
            { "channel": "email", "subject": "Hi",
              "variables": { "name": {}, "nickname": { "required": false } },
              "sampleData": { "name": "Bo", "nickname": "Bobby" } }
            """);

        Assert.Empty(ReadAndValidate());
    }

    [Fact]
    public void A_sample_value_the_template_uses_without_declaring_it_is_reported()
    {
        Write("sneaky/template.html", "<p>{{ name }}</p>\n<p>{{ code }}</p>");
        Write("sneaky/metadata.json", """{ "channel": "email", "subject": "Hi", "variables": { "name": {} }, "sampleData": { "name": "a", "code": "X1" } }""");

        Assert.Equal(["sneaky/template.html:2: uses 'code' without declaring it in variables (a request without it would fail)"], ReadAndValidate());
    }

    [Fact]
    public void A_liquid_template_is_read_and_validated_like_any_other_and_reports_its_lines()
    {
        Write("_partials/footer.html", "<footer>Shop</footer>");
        Write("liquid/template.html", "<p>Hi {{ name }}</p>\n{% if vip %}<p>{{ perk }}</p>{% endif %}\n{% include 'footer' %}");
        Write("liquid/metadata.json", """
            { "channel": "email", "syntax": "liquid", "subject": "Hello {{ name | upcase }}",
              "variables": { "name": {}, "vip": {} }, "sampleData": { "name": "Ana", "vip": true, "perk": "free socks" } }
            """);
        Write("liquid-bad/template.html", "<p>one</p>\n{% for item in items %}\n<p>{{ item }}</p>");
        Write("liquid-bad/metadata.json", """{ "channel": "email", "syntax": "liquid", "subject": "x", "variables": { "items": {} }, "sampleData": { "items": [1] } }""");
        Write("wrong-syntax/template.html", "<p>x</p>");
        Write("wrong-syntax/metadata.json", "{ \"channel\": \"email\", \"subject\": \"x\",\n  \"syntax\": \"handlebars\" }");

        var read = TemplateFolder.Read(_root);

        Assert.Equal(TemplateSyntax.Liquid, read.Sources.Single(s => s.Draft.Name == "liquid").Draft.Definition.Syntax);
        var problems = ReadAndValidate();
        Assert.Equal(3, problems.Count);
        Assert.StartsWith("liquid-bad/template.html:2: Error while parsing for statement: The `endfor statement` was not found", problems[0]);
        Assert.Equal("liquid/template.html:2: uses 'perk' without declaring it in variables (a request without it would fail)", problems[1]);
        Assert.Equal("wrong-syntax/metadata.json:2: \"syntax\" must be \"scriban\" (the default) or \"liquid\"", problems[2]);
    }
}
