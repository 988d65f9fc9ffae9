using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Engine.Templates;

namespace Messaging.Engine.Tests.Templates;

/// <summary>
/// Rendering one compiled template: strictness, escaping, functions, partials, limits and the derived text part. Each
/// promise is checked in both syntaxes: the Scriban source is first, its Liquid equivalent second.
/// </summary>
public sealed class TemplateRenderingTests
{
    private static readonly Dictionary<string, StoredTemplate> NoPartials = new();

    private static StoredTemplate Stored(TemplateDefinition definition, string name = "t", int version = 1, TemplateKind kind = TemplateKind.Template) =>
        new(kind, name, version, definition, "", DateTimeOffset.UnixEpoch, null);

    private static CompiledTemplate Compile(TemplateDefinition definition, IReadOnlyDictionary<string, StoredTemplate>? partials = null) =>
        CompiledTemplate.Compile(Stored(definition), partials ?? NoPartials, new TemplateOptions());

    private static RenderedContent Render(TemplateDefinition definition, string data, IReadOnlyDictionary<string, StoredTemplate>? partials = null)
    {
        using var document = JsonDocument.Parse(data);
        return Compile(definition, partials).Render(document.RootElement.Clone());
    }

    /// <summary>The source in the syntax under test: Liquid's when given and the syntax is Liquid.</summary>
    private static string In(TemplateSyntax syntax, string scriban, string liquid) => syntax == TemplateSyntax.Liquid ? liquid : scriban;

    /// <summary>
    /// The HTML's text as a reader sees it (spaces in values are escaped too); ICU versions differ on whether a currency
    /// symbol is set off by a space or a no-break space.
    /// </summary>
    private static string SameSpaces(string html) => System.Net.WebUtility.HtmlDecode(html).Replace('\u00a0', ' ').Replace('\u202f', ' ');

    [Theory]
    [InlineData(TemplateSyntax.Scriban)]
    [InlineData(TemplateSyntax.Liquid)]
    public void A_missing_required_variable_fails_the_render_naming_it_and_an_absent_optional_one_renders_empty(TemplateSyntax syntax)
    {
        var definition = new TemplateDefinition(Channel.Email, "Order {{ orderId }}", "<p>{{ name }}{{ nickname }}</p>",
            Variables: [new TemplateVariable("name"), new TemplateVariable("orderId"), new TemplateVariable("nickname", Required: false)], Syntax: syntax);

        var failure = Assert.Throws<TemplateRenderException>(() => Render(definition, """{"name":"Ana"}"""));
        var nulled = Assert.Throws<TemplateRenderException>(() => Render(definition, """{"name":"Ana","orderId":null}"""));
        var rendered = Render(definition, """{"name":"Ana","orderId":7}""");

        Assert.Equal("template 't' (v1) needs 'orderId' in data; the request has no value for it", failure.Message);
        Assert.Contains("'orderId'", nulled.Message);
        Assert.Equal(new RenderedContent("Order 7", "<p>Ana</p>", "Ana"), rendered);
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "<p>{{ name }} {{ surname }}</p>", "surname")]
    [InlineData(TemplateSyntax.Liquid, "<p>{{ name }} {{ surname }}</p>", "surname")]
    [InlineData(TemplateSyntax.Scriban, "{{ if nmae }}<p>x</p>{{ end }}", "nmae")]
    [InlineData(TemplateSyntax.Liquid, "{% if nmae %}<p>x</p>{% endif %}", "nmae")]
    [InlineData(TemplateSyntax.Scriban, "{{ for item in items }}{{ item.titel }}{{ end }}", "titel")]
    [InlineData(TemplateSyntax.Liquid, "{% for item in items %}{{ item.titel }}{% endfor %}", "titel")]
    public void A_value_the_template_uses_but_neither_data_nor_declarations_have_fails_instead_of_rendering_nothing(
        TemplateSyntax syntax, string html, string misspelt)
    {
        var definition = new TemplateDefinition(Channel.Email, "Hi", html,
            Variables: [new TemplateVariable("name"), new TemplateVariable("items", Required: false)], Syntax: syntax);

        var failure = Assert.Throws<TemplateRenderException>(() => Render(definition, """{"name":"Ana","items":[{"title":"Hat"}]}"""));

        Assert.Equal($"template 't' (v1) uses '{misspelt}', which the request's data does not have and the template does not declare", failure.Message);
        Assert.Equal((misspelt, "html", 1), (failure.Missing, failure.Part, failure.Line));
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "<script>alert(1)</script>")]
    [InlineData(TemplateSyntax.Scriban, "\"><img src=x onerror=alert(1)>")]
    [InlineData(TemplateSyntax.Scriban, "' onmouseover='alert(1)")]
    [InlineData(TemplateSyntax.Scriban, "</textarea><svg onload=alert(1)>&amp;")]
    [InlineData(TemplateSyntax.Liquid, "<script>alert(1)</script>")]
    [InlineData(TemplateSyntax.Liquid, "\"><img src=x onerror=alert(1)>")]
    [InlineData(TemplateSyntax.Liquid, "' onmouseover='alert(1)")]
    [InlineData(TemplateSyntax.Liquid, "</textarea><svg onload=alert(1)>&amp;")]
    public void Attacker_controlled_data_cannot_inject_html_in_text_or_in_an_attribute(TemplateSyntax syntax, string attack)
    {
        // Every way a value reaches the output: a variable, a member in a loop, a function's result, a default.
        var definition = new TemplateDefinition(Channel.Email, "Hi {{ name }}", In(syntax,
            "<p title='{{ name }}'>Hi {{ name }}</p><a href=\"{{ name }}\">x</a><ul>{{ for item in items }}<li data-x={{ item.title }}>{{ item.title }}</li>{{ end }}</ul><i>{{ default nickname name }}</i><b>{{ name | string.upcase }}</b>",
            "<p title='{{ name }}'>Hi {{ name }}</p><a href=\"{{ name }}\">x</a><ul>{% for item in items %}<li data-x={{ item.title }}>{{ item.title }}</li>{% endfor %}</ul><i>{{ nickname | default: name }}</i><b>{{ name | upcase }}</b>"),
            Variables: [new TemplateVariable("name"), new TemplateVariable("items"), new TemplateVariable("nickname", Required: false)], Syntax: syntax);

        var rendered = Render(definition, JsonSerializer.Serialize(new { name = attack, items = new[] { new { title = attack } } }));

        // Parsed as a browser would: the value stays data (text, attribute values), never markup.
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(rendered.Html!);
        Assert.Equal(["P", "A", "UL", "I", "B"], document.Body!.Children.Select(e => e.TagName));
        Assert.Equal(["title"], document.QuerySelector("p")!.Attributes.Select(a => a.Name));
        Assert.Equal(attack, document.QuerySelector("p")!.GetAttribute("title"));
        Assert.Equal($"Hi {attack}", document.QuerySelector("p")!.TextContent);
        Assert.Equal(attack, document.QuerySelector("a")!.GetAttribute("href"));
        Assert.Equal(attack, document.QuerySelector("li")!.TextContent);
        Assert.Equal(attack, document.QuerySelector("i")!.TextContent);
        Assert.Equal(attack.ToUpperInvariant(), document.QuerySelector("b")!.TextContent);
        Assert.Empty(document.QuerySelectorAll("script, img, svg, textarea, [onerror], [onmouseover], [onload]"));
        Assert.Equal(6, document.Body.QuerySelectorAll("*").Length);
        // The subject is not HTML: it carries the value as written, for the mail client to show as text.
        Assert.Equal($"Hi {attack}", rendered.Subject);
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban)]
    [InlineData(TemplateSyntax.Liquid)]
    public void Unquoted_attribute_values_are_escaped_too_so_a_value_cannot_add_an_attribute(TemplateSyntax syntax)
    {
        var definition = new TemplateDefinition(Channel.Email, "s", "<img alt={{ name }} src=\"logo.png\">",
            Variables: [new TemplateVariable("name")], Syntax: syntax);

        var rendered = Render(definition, """{"name":"x onerror=alert(1)"}""");

        var image = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(rendered.Html!).QuerySelector("img")!;
        // An unquoted value ends at a space: the rest is lost to the attribute, but it never becomes a handler.
        Assert.Null(image.GetAttribute("onerror"));
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "{{ raw banner }}|{{ banner }}")]
    [InlineData(TemplateSyntax.Liquid, "{{ banner | raw }}|{{ banner }}")]
    public void Raw_opts_out_of_escaping_for_html_the_template_author_trusts(TemplateSyntax syntax, string html)
    {
        var definition = new TemplateDefinition(Channel.Email, "s", html, Variables: [new TemplateVariable("banner")], Syntax: syntax);

        var rendered = Render(definition, """{"banner":"<b>Sale</b>"}""");

        Assert.Equal("<b>Sale</b>|&lt;b&gt;Sale&lt;/b&gt;", rendered.Html);
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "{{ raw banner }}|{{ name | eq \"Ana\" }}|{{ include \"footer\" }}")]
    [InlineData(TemplateSyntax.Liquid, "{{ banner | raw }}|{{ name | eq: \"Ana\" }}|{% include 'footer' %}")]
    public void Data_keys_named_like_functions_are_refused_naming_the_key(TemplateSyntax syntax, string html)
    {
        var partials = new Dictionary<string, StoredTemplate>
        {
            ["footer"] = Stored(new TemplateDefinition(Html: "<footer>{{ shop }}</footer>", Text: "-- {{ shop }}"), "footer", 1, TemplateKind.Partial),
        };
        var definition = new TemplateDefinition(Channel.Email, "s", html,
            Variables: [new TemplateVariable("banner"), new TemplateVariable("name"), new TemplateVariable("shop"), new TemplateVariable("raw", Required: false)],
            Syntax: syntax);

        var plain = Render(definition, """{"banner":"<b>Sale</b>","name":"Ana","shop":"Tom"}""", partials);
        Assert.Equal("<b>Sale</b>|true|<footer>Tom</footer>", plain.Html);

        foreach (var (key, value) in new[] { ("raw", "\"<script>x</script>\""), ("include", "\"<i>inc</i>\""), ("eq", "false") })
        {
            var refused = Assert.Throws<TemplateRenderException>(() => Render(definition,
                $$"""{"banner":"<b>Sale</b>","name":"Ana","shop":"Tom","{{key}}":{{value}}}""", partials));
            Assert.Contains($"'{key}'", refused.Message);
        }
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "de-DE", "Europe/Berlin", "1.234,50 €|12.345,68|Sonntag, November 22, 2026 16:30|1.234,50 $|1234,5")]
    [InlineData(TemplateSyntax.Scriban, "en-US", "America/New_York", "€1,234.50|12,345.68|Sunday, November 22, 2026 10:30|$1,234.50|1234.5")]
    [InlineData(TemplateSyntax.Liquid, "de-DE", "Europe/Berlin", "1.234,50 €|12.345,68|Sonntag, November 22, 2026 16:30|1.234,50 $|1234,5")]
    [InlineData(TemplateSyntax.Liquid, "en-US", "America/New_York", "€1,234.50|12,345.68|Sunday, November 22, 2026 10:30|$1,234.50|1234.5")]
    public void Helpers_format_money_numbers_and_dates_in_the_template_culture_and_time_zone(TemplateSyntax syntax, string culture, string zone, string expected)
    {
        var definition = new TemplateDefinition(Channel.Email, "s", In(syntax,
                "{{ formatCurrency total \"EUR\" }}|{{ formatNumber big \"N2\" }}|{{ formatDate at \"dddd, MMMM d, yyyy HH:mm\" }}|{{ formatCurrency total \"USD\" }}|{{ total }}",
                "{{ total | formatCurrency: \"EUR\" }}|{{ big | formatNumber: \"N2\" }}|{{ at | formatDate: \"dddd, MMMM d, yyyy HH:mm\" }}|{{ total | formatCurrency: \"USD\" }}|{{ total }}"),
            Culture: culture, TimeZone: zone, Variables: [new TemplateVariable("total"), new TemplateVariable("big"), new TemplateVariable("at")], Syntax: syntax);

        var rendered = Render(definition, """{"total":1234.5,"big":12345.678,"at":"2026-11-22T15:30:00Z"}""");

        // The layout of the date is the template's format string; the day and month names are the culture's. A bare
        // number is written in the template's culture too.
        Assert.Equal(expected, SameSpaces(rendered.Html!));
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "{{ formatDate at \"yyyy-MM-dd HH:mm\" timeZone: \"Asia/Tokyo\" }} {{ formatCurrency total \"JPY\" culture: \"ja-JP\" }} {{ formatCurrency total \"BRL\" \"pt-BR\" }}")]
    [InlineData(TemplateSyntax.Liquid, "{{ at | formatDate: \"yyyy-MM-dd HH:mm\", \"Asia/Tokyo\" }} {{ total | formatCurrency: \"JPY\", \"ja-JP\" }} {{ total | formatCurrency: \"BRL\", \"pt-BR\" }}")]
    public void Arguments_override_the_culture_and_time_zone_for_one_value(TemplateSyntax syntax, string html)
    {
        var definition = new TemplateDefinition(Channel.Email, "s", html,
            Variables: [new TemplateVariable("at"), new TemplateVariable("total")], Syntax: syntax);

        var rendered = Render(definition, """{"at":"2026-11-22T15:30:00Z","total":1500}""");

        Assert.Equal("2026-11-23 00:30 ￥1,500 R$ 1.500,00", SameSpaces(rendered.Html!));
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "{{ formatDate at }} {{ formatCurrency total \"XYZ\" }}")]
    [InlineData(TemplateSyntax.Liquid, "{{ at | formatDate }} {{ total | formatCurrency: \"XYZ\" }}")]
    public void A_helper_given_something_it_cannot_format_fails_the_render_with_its_reason(TemplateSyntax syntax, string html)
    {
        var definition = new TemplateDefinition(Channel.Email, "s", html,
            Variables: [new TemplateVariable("at"), new TemplateVariable("total")], Syntax: syntax);

        var badDate = Assert.Throws<TemplateRenderException>(() => Render(definition, """{"at":"next tuesday","total":1}"""));
        var badCurrency = Assert.Throws<TemplateRenderException>(() => Render(definition, """{"at":"2026-01-01T00:00:00Z","total":1}"""));

        Assert.Contains("formatDate: 'next tuesday' is not a date", badDate.Message);
        Assert.Contains("formatCurrency: 'XYZ' is not a known ISO 4217 currency code", badCurrency.Message);
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban,
        "{{ default nickname name }}:{{ for item in items }}[{{ item.title }} x{{ item.qty }}{{ if for.last }}.{{ end }}]{{ end }}{{ if eq status \"late\" }} late{{ else }} on time{{ end }}{{ if !paid }} unpaid{{ end }}")]
    [InlineData(TemplateSyntax.Liquid,
        "{{ nickname | default: name }}:{% for item in items %}[{{ item.title }} x{{ item.qty }}{% if forloop.last %}.{% endif %}]{% endfor %}{% if status == \"late\" %} late{% else %} on time{% endif %}{% unless paid %} unpaid{% endunless %}")]
    public void Default_equality_conditionals_and_loops_render(TemplateSyntax syntax, string html)
    {
        var definition = new TemplateDefinition(Channel.Email, "s", html,
            Variables: [new TemplateVariable("name"), new TemplateVariable("nickname", false), new TemplateVariable("items"), new TemplateVariable("status"), new TemplateVariable("paid")],
            Syntax: syntax);

        var withNickname = Render(definition, """{"name":"Ana","nickname":"Annie","items":[{"title":"A","qty":1},{"title":"B","qty":2}],"status":"late","paid":false}""");
        var withoutNickname = Render(definition, """{"name":"Ana","items":[],"status":"ok","paid":true}""");

        Assert.Equal("Annie:[A x1][B x2.] late unpaid", withNickname.Html);
        Assert.Equal("Ana: on time", withoutNickname.Html);
    }

    [Fact]
    public void Eq_is_a_filter_in_liquid_too()
    {
        var definition = new TemplateDefinition(Channel.Email, "s", "{% assign late = status | eq: \"late\" %}{% if late %}late{% endif %}",
            Variables: [new TemplateVariable("status")], Syntax: TemplateSyntax.Liquid);

        Assert.Equal("late", Render(definition, """{"status":"late"}""").Html);
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "<p>Hi</p>{{ include \"footer\" }}", "Hi\n{{ include \"footer\" }}")]
    [InlineData(TemplateSyntax.Liquid, "<p>Hi</p>{% include 'footer' %}", "Hi\n{% include 'footer' %}")]
    public void Partials_render_in_both_forms_and_a_text_template_uses_the_partial_text_form(TemplateSyntax syntax, string html, string text)
    {
        var partials = new Dictionary<string, StoredTemplate>
        {
            ["footer"] = Stored(new TemplateDefinition(Html: "<footer>{{ shop }} &amp; co</footer>", Text: "-- {{ shop }} & co"), "footer", 3, TemplateKind.Partial),
        };
        var definition = new TemplateDefinition(Channel.Email, "s", html, text, Variables: [new TemplateVariable("shop")], Syntax: syntax);

        var rendered = Render(definition, """{"shop":"Tom & <Jerry>"}""", partials);

        // The partial escapes its own values in the HTML form, once: its output is not escaped again where it is included.
        Assert.Equal("<p>Hi</p><footer>Tom&#32;&amp;&#32;&lt;Jerry&gt; &amp; co</footer>", rendered.Html);
        Assert.Equal("Hi\n-- Tom & <Jerry> & co", rendered.Text);
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "{{ include \"legal\" }}", "legal")]
    [InlineData(TemplateSyntax.Liquid, "{% include 'legal' %}", "legal")]
    [InlineData(TemplateSyntax.Scriban, "{{ include \"/etc/hostname\" }}", "/etc/hostname")]
    [InlineData(TemplateSyntax.Liquid, "{% include '/etc/hostname' %}", "/etc/hostname")]
    [InlineData(TemplateSyntax.Scriban, "{{ include \"../../../../../../etc/hostname\" }}", "../../../../../../etc/hostname")]
    [InlineData(TemplateSyntax.Liquid, "{% include 'footer.html' %}", "footer.html")]
    public void Include_finds_only_the_stores_partials_never_a_file(TemplateSyntax syntax, string html, string name)
    {
        var partials = new Dictionary<string, StoredTemplate>
        {
            ["footer"] = Stored(new TemplateDefinition(Html: "<footer>Shop</footer>"), "footer", 1, TemplateKind.Partial),
        };
        var definition = new TemplateDefinition(Channel.Email, "s", $"<p>Hi</p>{html}", Syntax: syntax);

        var failure = Assert.Throws<TemplateRenderException>(() => Render(definition, "{}", partials));

        Assert.Contains($"there is no partial '{name}' with a HTML form", failure.Message);
    }

    [Fact]
    public void A_partial_is_parsed_in_the_syntax_of_the_template_including_it()
    {
        var partials = new Dictionary<string, StoredTemplate>
        {
            ["sign"] = Stored(new TemplateDefinition(Html: "{% if shop %}<i>{{ shop }}</i>{% endif %}"), "sign", 2, TemplateKind.Partial),
        };
        var liquid = new TemplateDefinition(Channel.Email, "s", "{% include 'sign' %}", Variables: [new TemplateVariable("shop")], Syntax: TemplateSyntax.Liquid);
        var scriban = liquid with { Html = "{{ include \"sign\" }}", Syntax = TemplateSyntax.Scriban };

        // Liquid tags are plain text to Scriban.
        Assert.Equal("<i>Ana</i>", Render(liquid, """{"shop":"Ana"}""", partials).Html);
        Assert.Equal("{% if shop %}<i>Ana</i>{% endif %}", Render(scriban, """{"shop":"Ana"}""", partials).Html);
    }

    [Fact]
    public void A_partial_that_does_not_parse_in_the_including_syntax_fails_the_render_saying_where()
    {
        var partials = new Dictionary<string, StoredTemplate>
        {
            ["sign"] = Stored(new TemplateDefinition(Html: "<i>\n{% if shop %}</i>"), "sign", 2, TemplateKind.Partial),
        };
        var liquid = new TemplateDefinition(Channel.Email, "s", "{% include 'sign' %}", Variables: [new TemplateVariable("shop")], Syntax: TemplateSyntax.Liquid);

        var failure = Assert.Throws<TemplateRenderException>(() => Render(liquid, """{"shop":"Ana"}""", partials));

        Assert.Contains("partial 'sign' (v2) does not compile as liquid: line 2: ", failure.Message);
    }

    [Fact]
    public void An_email_template_with_only_html_gets_a_readable_text_part()
    {
        var definition = new TemplateDefinition(Channel.Email, "s", """
            <html><head><title>x</title><style>p { color: red }</style></head>
            <body>
              <h1>Hi {{ name }}</h1>
              <p>Your order
                 has shipped.<br>It arrives soon.</p>
              <ul><li>Jacket</li><li>Socks</li></ul>
              <p><a href="https://track.example.com/1">Track it</a> or <a href="https://shop.example.com">https://shop.example.com</a></p>
              <script>var x = 1;</script>
              <p>Write to <a href="mailto:help@example.com">help@example.com</a></p>
            </body></html>
            """, Variables: [new TemplateVariable("name")]);

        var scriban = Render(definition, """{"name":"Ana"}""");
        var liquid = Render(definition with { Syntax = TemplateSyntax.Liquid }, """{"name":"Ana"}""");

        Assert.Equal("""
            Hi Ana

            Your order has shipped.
            It arrives soon.

            - Jacket
            - Socks

            Track it (https://track.example.com/1) or https://shop.example.com

            Write to help@example.com
            """.ReplaceLineEndings("\n"), scriban.Text);
        Assert.Equal(scriban, liquid);
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban)]
    [InlineData(TemplateSyntax.Liquid)]
    public void An_sms_text_loses_the_final_newline_of_its_file_and_is_not_escaped(TemplateSyntax syntax)
    {
        var definition = new TemplateDefinition(Channel.Sms, Text: "Code {{ code }} <b>\n", Variables: [new TemplateVariable("code")], Syntax: syntax);

        Assert.Equal("Code 1&2 <b>", Render(definition, """{"code":"1&2"}""").Text);
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "<p>one</p>\n<p>two {{ name</p>\n<p>three</p>", 2)]
    [InlineData(TemplateSyntax.Liquid, "<p>one</p>\n<p>two {{ name</p>\n<p>three</p>", 2)]
    [InlineData(TemplateSyntax.Scriban, "<p>one</p>\n\n<p>{{ if name }}two</p>", 3)]
    [InlineData(TemplateSyntax.Liquid, "<p>one</p>\n\n<p>{% if name %}two</p>", 3)]
    public void A_part_that_does_not_compile_says_which_part_and_line(TemplateSyntax syntax, string html, int line)
    {
        var definition = new TemplateDefinition(Channel.Email, "s", html, Syntax: syntax);

        var failure = Assert.Throws<TemplateCompileException>(() => Compile(definition));

        Assert.Equal(("html", line), (failure.Part, failure.Line));
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban, "{{ while true }}x{{ end }}", "iteration limit")]
    [InlineData(TemplateSyntax.Scriban, "{{ for i in 1..1000000000 }}{{ end }}", "exceeds LoopLimit")]
    [InlineData(TemplateSyntax.Scriban, "{{ for i in 1..100 }}{{ for j in 1..100 }}{{ for k in 1..100 }}{{ end }}{{ end }}{{ end }}", "iteration limit")]
    [InlineData(TemplateSyntax.Scriban, "{{ func f; f; end; f }}", "recursive")]
    [InlineData(TemplateSyntax.Scriban, "{{ s = \"xxxxxxxxxxxxxxxx\"; for i in 1..60; s = s + s; end; s }}", "renders more than")]
    [InlineData(TemplateSyntax.Scriban, "{{ for i in 1..9000 }}{{ name }}{{ end }}", "renders more than")]
    [InlineData(TemplateSyntax.Scriban, "{{ name * 1000000000 }}", "LimitToString")]
    [InlineData(TemplateSyntax.Liquid, "{% for i in (1..1000000000) %}{% endfor %}", "exceeds LoopLimit")]
    [InlineData(TemplateSyntax.Liquid, "{% assign s = name %}{% for i in (1..60) %}{% assign s = s | append: s %}{% endfor %}{{ s }}", "LimitToString")]
    [InlineData(TemplateSyntax.Liquid, "{% for i in (1..9000) %}{{ name }}{% endfor %}", "renders more than")]
    public void A_hostile_template_is_stopped_by_a_limit_instead_of_looping_or_allocating_without_bound(TemplateSyntax syntax, string html, string reason)
    {
        var definition = new TemplateDefinition(Channel.Email, "s", html, Variables: [new TemplateVariable("name")], Syntax: syntax);

        var failure = Assert.Throws<TemplateRenderException>(() => Render(definition, JsonSerializer.Serialize(new { name = new string('x', 100) })));

        Assert.Contains(reason, failure.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban)]
    [InlineData(TemplateSyntax.Liquid)]
    public void Each_render_of_a_compiled_version_sees_only_its_own_data_even_after_a_failed_one(TemplateSyntax syntax)
    {
        // Renders of one version reuse their contexts: nothing of one request's data may reach the next.
        var template = Compile(new TemplateDefinition(Channel.Email, "Hi", In(syntax,
            "<p>{{ name }}</p>{{ for item in items }}<i>{{ item }}</i>{{ end }}",
            "<p>{{ name }}</p>{% for item in items %}<i>{{ item }}</i>{% endfor %}"), "t", Syntax: syntax));
        RenderedContent RenderWith(string data)
        {
            using var document = JsonDocument.Parse(data);
            return template.Render(document.RootElement.Clone());
        }

        var first = RenderWith("""{"name":"Ana","items":[1,2]}""");
        var withoutName = Assert.Throws<TemplateRenderException>(() => RenderWith("""{"items":[3]}"""));
        var tooLong = Assert.Throws<TemplateRenderException>(() => RenderWith(JsonSerializer.Serialize(new { name = "Cy", items = Enumerable.Range(0, 20_000) })));
        var last = RenderWith("""{"name":"Bea","items":[4]}""");

        Assert.Equal("<p>Ana</p><i>1</i><i>2</i>", first.Html);
        Assert.Contains("'name'", withoutName.Message);
        Assert.Contains("loop", tooLong.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("<p>Bea</p><i>4</i>", last.Html);
    }

    [Theory]
    [InlineData(TemplateSyntax.Scriban)]
    [InlineData(TemplateSyntax.Liquid)]
    public void Renders_of_one_version_on_many_threads_at_once_each_get_their_own_output(TemplateSyntax syntax)
    {
        var template = Compile(new TemplateDefinition(Channel.Email, "Order {{ orderId }}", In(syntax,
            "<p>{{ formatCurrency total \"EUR\" }}</p>{{ for item in items }}<i>{{ item }}</i>{{ end }}",
            "<p>{{ total | formatCurrency: 'EUR' }}</p>{% for item in items %}<i>{{ item }}</i>{% endfor %}"), "t",
            Culture: "en-GB", Syntax: syntax));

        var outputs = new RenderedContent[400];
        Parallel.For(0, outputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            using var document = JsonDocument.Parse(JsonSerializer.Serialize(new { orderId = i, total = i, items = new[] { i, i + 1 } }));
            outputs[i] = template.Render(document.RootElement.Clone());
        });

        for (var i = 0; i < outputs.Length; i++)
        {
            Assert.Equal($"Order {i}", outputs[i].Subject);
            Assert.Equal($"<p>€{i:N2}</p><i>{i}</i><i>{i + 1}</i>", System.Net.WebUtility.HtmlDecode(outputs[i].Html));
        }
    }
}
