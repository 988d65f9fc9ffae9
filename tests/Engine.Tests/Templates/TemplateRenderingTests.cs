using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Engine.Templates;

namespace Messaging.Engine.Tests.Templates;

/// <summary>Rendering one compiled template: strictness, escaping, helpers, partials and the derived text part.</summary>
public sealed class TemplateRenderingTests
{
    private static readonly Dictionary<string, StoredTemplate> NoPartials = new();

    private static StoredTemplate Stored(TemplateDefinition definition, string name = "t", int version = 1, TemplateKind kind = TemplateKind.Template) =>
        new(kind, name, version, definition, "", DateTimeOffset.UnixEpoch, null);

    private static RenderedContent Render(TemplateDefinition definition, string data, IReadOnlyDictionary<string, StoredTemplate>? partials = null)
    {
        using var document = JsonDocument.Parse(data);
        return CompiledTemplate.Compile(Stored(definition), partials ?? NoPartials, new TemplateOptions()).Render(document.RootElement.Clone());
    }

    /// <summary>ICU versions differ on whether a currency symbol is set off by a space or a no-break space.</summary>
    private static string SameSpaces(string text) => text.Replace('\u00a0', ' ').Replace('\u202f', ' ');

    [Fact]
    public void A_missing_required_variable_fails_the_render_naming_it_and_an_absent_optional_one_renders_empty()
    {
        var definition = new TemplateDefinition(Channel.Email, "Order {{orderId}}", "<p>{{name}}{{nickname}}</p>",
            Variables: [new TemplateVariable("name"), new TemplateVariable("orderId"), new TemplateVariable("nickname", Required: false)]);

        var failure = Assert.Throws<TemplateRenderException>(() => Render(definition, """{"name":"Ana"}"""));
        var nulled = Assert.Throws<TemplateRenderException>(() => Render(definition, """{"name":"Ana","orderId":null}"""));
        var rendered = Render(definition, """{"name":"Ana","orderId":7}""");

        Assert.Equal("template 't' (v1) needs 'orderId' in data; the request has no value for it", failure.Message);
        Assert.Contains("'orderId'", nulled.Message);
        Assert.Equal(new RenderedContent("Order 7", "<p>Ana</p>", "Ana"), rendered);
    }

    [Fact]
    public void A_value_the_template_uses_but_neither_data_nor_declarations_have_fails_instead_of_rendering_nothing()
    {
        var definition = new TemplateDefinition(Channel.Email, "Hi", "<p>{{name}} {{surname}}</p>", Variables: [new TemplateVariable("name")]);

        var failure = Assert.Throws<TemplateRenderException>(() => Render(definition, """{"name":"Ana"}"""));

        Assert.Equal("template 't' (v1) uses 'surname', which the request's data does not have and the template does not declare", failure.Message);
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("\"><img src=x onerror=alert(1)>")]
    [InlineData("' onmouseover='alert(1)")]
    public void Attacker_controlled_data_cannot_inject_html_in_text_or_in_an_attribute(string attack)
    {
        var definition = new TemplateDefinition(Channel.Email, "Hi {{name}}", "<p title='{{name}}'>Hi {{name}}</p><a href=\"{{name}}\">x</a>",
            Variables: [new TemplateVariable("name")]);

        var rendered = Render(definition, JsonSerializer.Serialize(new Dictionary<string, string> { ["name"] = attack }));

        // Parsed as a browser would: the value stays data (text, attribute values), never markup.
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(rendered.Html!);
        Assert.Equal(["P", "A"], document.Body!.Children.Select(e => e.TagName));
        Assert.Equal(attack, document.QuerySelector("p")!.GetAttribute("title"));
        Assert.Equal($"Hi {attack}", document.QuerySelector("p")!.TextContent);
        Assert.Equal(attack, document.QuerySelector("a")!.GetAttribute("href"));
        Assert.Empty(document.QuerySelectorAll("script, img, [onerror], [onmouseover]"));
        // The subject is not HTML: it carries the value as written, for the mail client to show as text.
        Assert.Equal($"Hi {attack}", rendered.Subject);
    }

    [Fact]
    public void Triple_braces_opt_out_of_escaping_for_html_the_template_author_trusts()
    {
        var definition = new TemplateDefinition(Channel.Email, "s", "{{{banner}}}|{{banner}}", Variables: [new TemplateVariable("banner")]);

        var rendered = Render(definition, """{"banner":"<b>Sale</b>"}""");

        Assert.Equal("<b>Sale</b>|&lt;b&gt;Sale&lt;/b&gt;", rendered.Html);
    }

    [Theory]
    [InlineData("de-DE", "Europe/Berlin", "1.234,50 €|12.345,68|Sonntag, November 22, 2026 16:30|1.234,50 $")]
    [InlineData("en-US", "America/New_York", "€1,234.50|12,345.68|Sunday, November 22, 2026 10:30|$1,234.50")]
    public void Helpers_format_money_numbers_and_dates_in_the_template_culture_and_time_zone(string culture, string zone, string expected)
    {
        var definition = new TemplateDefinition(Channel.Email, "s",
            "{{formatCurrency total \"EUR\"}}|{{formatNumber big \"N2\"}}|{{formatDate at \"dddd, MMMM d, yyyy HH:mm\"}}|{{formatCurrency total \"USD\"}}",
            Culture: culture, TimeZone: zone, Variables: [new TemplateVariable("total"), new TemplateVariable("big"), new TemplateVariable("at")]);

        var rendered = Render(definition, """{"total":1234.5,"big":12345.678,"at":"2026-11-22T15:30:00Z"}""");

        // The layout of the date is the template's format string; the day and month names are the culture's.
        Assert.Equal(expected, SameSpaces(rendered.Html!));
    }

    [Fact]
    public void Hash_arguments_override_the_culture_and_time_zone_for_one_value()
    {
        var definition = new TemplateDefinition(Channel.Email, "s",
            "{{formatDate at \"yyyy-MM-dd HH:mm\" timeZone=\"Asia/Tokyo\"}} {{formatCurrency total \"JPY\" culture=\"ja-JP\"}} {{formatCurrency total \"BRL\" culture=\"pt-BR\"}}",
            Variables: [new TemplateVariable("at"), new TemplateVariable("total")]);

        var rendered = Render(definition, """{"at":"2026-11-22T15:30:00Z","total":1500}""");

        Assert.Equal("2026-11-23 00:30 ￥1,500 R$ 1.500,00", SameSpaces(rendered.Html!));
    }

    [Fact]
    public void A_helper_given_something_it_cannot_format_fails_the_render_with_its_reason()
    {
        var definition = new TemplateDefinition(Channel.Email, "s", "{{formatDate at}} {{formatCurrency total \"XYZ\"}}",
            Variables: [new TemplateVariable("at"), new TemplateVariable("total")]);

        var badDate = Assert.Throws<TemplateRenderException>(() => Render(definition, """{"at":"next tuesday","total":1}"""));
        var badCurrency = Assert.Throws<TemplateRenderException>(() => Render(definition, """{"at":"2026-01-01T00:00:00Z","total":1}"""));

        Assert.Contains("formatDate: 'next tuesday' is not a date", badDate.Message);
        Assert.Contains("formatCurrency: 'XYZ' is not a known ISO 4217 currency code", badCurrency.Message);
    }

    [Fact]
    public void Default_conditionals_and_loops_render_as_handlebars_users_expect()
    {
        var definition = new TemplateDefinition(Channel.Email, "s",
            "{{default nickname name}}:{{#each items}}[{{title}} x{{qty}}{{#if @last}}.{{/if}}]{{/each}}{{#if (eq status \"late\")}} late{{else}} on time{{/if}}{{#unless paid}} unpaid{{/unless}}",
            Variables: [new TemplateVariable("name"), new TemplateVariable("nickname", false), new TemplateVariable("items"), new TemplateVariable("status"), new TemplateVariable("paid")]);

        var withNickname = Render(definition, """{"name":"Ana","nickname":"Annie","items":[{"title":"A","qty":1},{"title":"B","qty":2}],"status":"late","paid":false}""");
        var withoutNickname = Render(definition, """{"name":"Ana","items":[],"status":"ok","paid":true}""");

        Assert.Equal("Annie:[A x1][B x2.] late unpaid", withNickname.Html);
        Assert.Equal("Ana: on time", withoutNickname.Html);
    }

    [Fact]
    public void Partials_render_in_both_forms_and_a_text_template_uses_the_partial_text_form()
    {
        var partials = new Dictionary<string, StoredTemplate>
        {
            ["footer"] = Stored(new TemplateDefinition(Html: "<footer>{{shop}} &amp; co</footer>", Text: "-- {{shop}} & co"), "footer", 3, TemplateKind.Partial),
        };
        var definition = new TemplateDefinition(Channel.Email, "s", "<p>Hi</p>{{> footer}}", "Hi\n{{> footer}}", Variables: [new TemplateVariable("shop")]);

        var rendered = Render(definition, """{"shop":"Tom & Jerry"}""", partials);

        Assert.Equal("<p>Hi</p><footer>Tom &amp; Jerry &amp; co</footer>", rendered.Html);
        Assert.Equal("Hi\n-- Tom & Jerry & co", rendered.Text);
    }

    [Fact]
    public void A_partial_that_does_not_exist_fails_the_render_naming_it()
    {
        var definition = new TemplateDefinition(Channel.Email, "s", "<p>Hi</p>{{> legal}}");

        var failure = Assert.Throws<TemplateRenderException>(() => Render(definition, "{}"));

        Assert.Contains("'legal' could not be resolved", failure.Message);
    }

    [Fact]
    public void An_email_template_with_only_html_gets_a_readable_text_part()
    {
        var definition = new TemplateDefinition(Channel.Email, "s", """
            <html><head><title>x</title><style>p { color: red }</style></head>
            <body>
              <h1>Hi {{name}}</h1>
              <p>Your order
                 has shipped.<br>It arrives soon.</p>
              <ul><li>Jacket</li><li>Socks</li></ul>
              <p><a href="https://track.example.com/1">Track it</a> or <a href="https://shop.example.com">https://shop.example.com</a></p>
              <script>var x = 1;</script>
              <p>Write to <a href="mailto:help@example.com">help@example.com</a></p>
            </body></html>
            """, Variables: [new TemplateVariable("name")]);

        var rendered = Render(definition, """{"name":"Ana"}""");

        Assert.Equal("""
            Hi Ana

            Your order has shipped.
            It arrives soon.

            - Jacket
            - Socks

            Track it (https://track.example.com/1) or https://shop.example.com

            Write to help@example.com
            """.ReplaceLineEndings("\n"), rendered.Text);
    }

    [Fact]
    public void An_sms_text_loses_the_final_newline_of_its_file()
    {
        var definition = new TemplateDefinition(Channel.Sms, Text: "Code {{code}}\n", Variables: [new TemplateVariable("code")]);

        Assert.Equal("Code 123", Render(definition, """{"code":"123"}""").Text);
    }

    [Fact]
    public void A_part_that_does_not_compile_says_which_part_and_line()
    {
        var definition = new TemplateDefinition(Channel.Email, "s", "<p>one</p>\n<p>two {{name</p>\n<p>three</p>");

        var failure = Assert.Throws<TemplateCompileException>(() => CompiledTemplate.Compile(Stored(definition), NoPartials, new TemplateOptions()));

        Assert.Equal("html", failure.Part);
        Assert.Equal(2, failure.Line);
    }
}
