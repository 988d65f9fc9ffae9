using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Messaging.Contracts.Requests;
using Messaging.Engine.Templates;

namespace Messaging.Benchmarks;

/// <summary>
/// Rendering a realistic order email: about 15 KB of table-laid-out HTML with inline styles, a header and footer
/// partial, 20 variables, a loop over the order's items, conditionals and currency/date helpers. Renders per second
/// = 1 / mean. <see cref="HtmlAndText"/> has its own text part; <see cref="HtmlWithDerivedText"/> derives it from
/// the rendered HTML (an HTML parse per message). Each runs in both syntaxes: the same email in Scriban and in Liquid.
/// </summary>
[MemoryDiagnoser]
public class TemplateRenderingBenchmarks
{
    private CompiledTemplate _withText = null!;
    private CompiledTemplate _htmlOnly = null!;
    private JsonElement _data;
    private Dictionary<string, StoredTemplate> _partials = null!;
    private StoredTemplate _source = null!;

    [Params(TemplateSyntax.Scriban, TemplateSyntax.Liquid)]
    public TemplateSyntax Syntax { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _partials = new Dictionary<string, StoredTemplate>
        {
            ["header"] = Stored("header", new TemplateDefinition(
                Html: "<table role=\"presentation\" width=\"100%\" style=\"background:#1f3a5f;color:#fff\"><tr><td style=\"padding:16px 24px;font:bold 20px Arial,sans-serif\">{{ shopName }}</td></tr></table>",
                Text: "{{ shopName }}"), TemplateKind.Partial),
            ["footer"] = Stored("footer", new TemplateDefinition(
                Html: "<table role=\"presentation\" width=\"100%\" style=\"font:12px Arial,sans-serif;color:#666\"><tr><td style=\"padding:16px 24px\">{{ shopName }} · {{ shopAddress }}<br>Questions? <a href=\"mailto:{{ supportEmail }}\">{{ supportEmail }}</a><br><a href=\"{{ unsubscribeUrl }}\">Unsubscribe</a></td></tr></table>",
                Text: "--\n{{ shopName }} · {{ shopAddress }}\n{{ supportEmail }}"), TemplateKind.Partial),
        };
        string[] variables =
        [
            "shopName", "shopAddress", "supportEmail", "unsubscribeUrl", "firstName", "lastName", "orderId", "orderedAt",
            "shippedAt", "carrier", "trackingUrl", "items", "subtotal", "shipping", "tax", "total", "currency",
            "street", "city", "postcode",
        ];
        var definition = new TemplateDefinition(Channel.Email, "Order {{ orderId }} is on its way, {{ firstName }}", BuildHtml(Syntax),
            "Hi {{ firstName }}, order {{ orderId }} shipped with {{ carrier }}: {{ trackingUrl }}\n"
            + In(Syntax, "Total {{ formatCurrency total currency }}\n{{ include \"footer\" }}", "Total {{ total | formatCurrency: currency }}\n{% include 'footer' %}"),
            Culture: "en-GB", TimeZone: "Europe/Lisbon", Variables: variables.Select(v => new TemplateVariable(v)).ToList(), Syntax: Syntax);
        _source = Stored("order-shipped", definition, TemplateKind.Template);
        _withText = CompiledTemplate.Compile(_source, _partials, new TemplateOptions());
        _htmlOnly = CompiledTemplate.Compile(Stored("order-shipped-html", definition with { Text = null }, TemplateKind.Template), _partials, new TemplateOptions());
        _data = JsonDocument.Parse("""
            {
              "shopName": "Example Shop", "shopAddress": "1 Market Street, Lisbon", "supportEmail": "help@example.com",
              "unsubscribeUrl": "https://shop.example.com/u/8f3a", "firstName": "Ana", "lastName": "Silva <admin>",
              "orderId": "A-123456", "orderedAt": "2026-11-20T18:03:00Z", "shippedAt": "2026-11-22T09:30:00Z",
              "carrier": "CTT Expresso", "trackingUrl": "https://track.example.com/A-123456",
              "items": [
                { "title": "Rain jacket", "quantity": 1, "price": 89.90, "sku": "RJ-01" },
                { "title": "Wool socks", "quantity": 2, "price": 12.50, "sku": "WS-22" },
                { "title": "Umbrella", "quantity": 1, "price": 24.00, "sku": "UM-07" },
                { "title": "Thermal mug", "quantity": 3, "price": 9.99, "sku": "TM-31" },
                { "title": "Scarf & gloves set", "quantity": 1, "price": 34.50, "sku": "SG-12" }
              ],
              "subtotal": 203.37, "shipping": 4.90, "tax": 46.77, "total": 255.04, "currency": "EUR",
              "street": "Rua Augusta 100", "city": "Lisboa", "postcode": "1100-053"
            }
            """).RootElement.Clone();
    }

    private static StoredTemplate Stored(string name, TemplateDefinition definition, TemplateKind kind) =>
        new(kind, name, 1, definition, "", DateTimeOffset.UnixEpoch, null);

    [Benchmark(Baseline = true)]
    public RenderedContent HtmlAndText() => _withText.Render(_data);

    [Benchmark]
    public RenderedContent HtmlWithDerivedText() => _htmlOnly.Render(_data);

    /// <summary>Once per version and node: what a catalog refresh pays for each template it then uses.</summary>
    [Benchmark]
    public CompiledTemplate Compile() => CompiledTemplate.Compile(_source, _partials, new TemplateOptions());

    private static string In(TemplateSyntax syntax, string scriban, string liquid) => syntax == TemplateSyntax.Liquid ? liquid : scriban;

    private static string BuildHtml(TemplateSyntax syntax)
    {
        var html = new StringBuilder(In(syntax, """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>Your order has shipped</title>
            <style>
              body { margin:0; padding:0; background:#f4f4f4; } table { border-collapse:collapse; }
              .button { background:#1f3a5f; color:#ffffff; padding:12px 24px; border-radius:4px; text-decoration:none; }
              @media (max-width: 600px) { .column { display:block !important; width:100% !important; } }
            </style></head>
            <body>
            <table role="presentation" width="100%" style="background:#f4f4f4"><tr><td align="center">
            <table role="presentation" width="600" style="background:#ffffff;font-family:Arial,sans-serif;color:#222222">
            <tr><td>{{ include "header" }}</td></tr>
            <tr><td style="padding:24px">
              <h1 style="font-size:22px;margin:0 0 12px">Good news, {{ firstName }}!</h1>
              <p style="font-size:15px;line-height:22px">Order <strong>{{ orderId }}</strong>, placed on {{ formatDate orderedAt "d MMMM yyyy" }}, left our warehouse on {{ formatDate shippedAt "dddd d MMMM 'at' HH:mm" }} with {{ carrier }}.</p>
              {{ if trackingUrl }}<p style="margin:24px 0"><a class="button" href="{{ trackingUrl }}" style="background:#1f3a5f;color:#ffffff;padding:12px 24px;border-radius:4px;text-decoration:none">Track your parcel</a></p>{{ end }}
              <table role="presentation" width="100%" style="font-size:14px;border-top:1px solid #dddddd">
                <tr><th align="left" style="padding:8px 0">Item</th><th align="left">SKU</th><th align="right">Qty</th><th align="right">Price</th></tr>
                {{ for item in items }}
                <tr style="border-top:1px solid #eeeeee"><td style="padding:8px 0">{{ item.title }}</td><td style="color:#888888">{{ item.sku }}</td><td align="right">{{ item.quantity }}</td><td align="right">{{ formatCurrency item.price currency }}</td></tr>
                {{ end }}
                <tr><td colspan="3" align="right" style="padding:8px 0">Subtotal</td><td align="right">{{ formatCurrency subtotal currency }}</td></tr>
                <tr><td colspan="3" align="right" style="padding:4px 0">Shipping</td><td align="right">{{ formatCurrency shipping currency }}</td></tr>
                <tr><td colspan="3" align="right" style="padding:4px 0">VAT</td><td align="right">{{ formatCurrency tax currency }}</td></tr>
                <tr><td colspan="3" align="right" style="padding:8px 0;font-weight:bold">Total</td><td align="right" style="font-weight:bold">{{ formatCurrency total currency }}</td></tr>
              </table>
              <h2 style="font-size:16px;margin:24px 0 8px">Delivery address</h2>
              <p style="font-size:14px;line-height:20px">{{ firstName }} {{ lastName }}<br>{{ street }}<br>{{ postcode }} {{ city }}</p>
            """,
            """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>Your order has shipped</title>
            <style>
              body { margin:0; padding:0; background:#f4f4f4; } table { border-collapse:collapse; }
              .button { background:#1f3a5f; color:#ffffff; padding:12px 24px; border-radius:4px; text-decoration:none; }
              @media (max-width: 600px) { .column { display:block !important; width:100% !important; } }
            </style></head>
            <body>
            <table role="presentation" width="100%" style="background:#f4f4f4"><tr><td align="center">
            <table role="presentation" width="600" style="background:#ffffff;font-family:Arial,sans-serif;color:#222222">
            <tr><td>{% include 'header' %}</td></tr>
            <tr><td style="padding:24px">
              <h1 style="font-size:22px;margin:0 0 12px">Good news, {{ firstName }}!</h1>
              <p style="font-size:15px;line-height:22px">Order <strong>{{ orderId }}</strong>, placed on {{ orderedAt | formatDate: "d MMMM yyyy" }}, left our warehouse on {{ shippedAt | formatDate: "dddd d MMMM 'at' HH:mm" }} with {{ carrier }}.</p>
              {% if trackingUrl %}<p style="margin:24px 0"><a class="button" href="{{ trackingUrl }}" style="background:#1f3a5f;color:#ffffff;padding:12px 24px;border-radius:4px;text-decoration:none">Track your parcel</a></p>{% endif %}
              <table role="presentation" width="100%" style="font-size:14px;border-top:1px solid #dddddd">
                <tr><th align="left" style="padding:8px 0">Item</th><th align="left">SKU</th><th align="right">Qty</th><th align="right">Price</th></tr>
                {% for item in items %}
                <tr style="border-top:1px solid #eeeeee"><td style="padding:8px 0">{{ item.title }}</td><td style="color:#888888">{{ item.sku }}</td><td align="right">{{ item.quantity }}</td><td align="right">{{ item.price | formatCurrency: currency }}</td></tr>
                {% endfor %}
                <tr><td colspan="3" align="right" style="padding:8px 0">Subtotal</td><td align="right">{{ subtotal | formatCurrency: currency }}</td></tr>
                <tr><td colspan="3" align="right" style="padding:4px 0">Shipping</td><td align="right">{{ shipping | formatCurrency: currency }}</td></tr>
                <tr><td colspan="3" align="right" style="padding:4px 0">VAT</td><td align="right">{{ tax | formatCurrency: currency }}</td></tr>
                <tr><td colspan="3" align="right" style="padding:8px 0;font-weight:bold">Total</td><td align="right" style="font-weight:bold">{{ total | formatCurrency: currency }}</td></tr>
              </table>
              <h2 style="font-size:16px;margin:24px 0 8px">Delivery address</h2>
              <p style="font-size:14px;line-height:20px">{{ firstName }} {{ lastName }}<br>{{ street }}<br>{{ postcode }} {{ city }}</p>
            """));
        // Recommendation blocks, the usual bulk of a commercial email: static markup with inline styles.
        for (var i = 1; html.Length < 13_500; i++)
        {
            html.Append(CultureInvariant($"""
                  <table role="presentation" width="100%" style="margin:16px 0;border:1px solid #eeeeee"><tr>
                    <td class="column" width="120" style="padding:12px"><img src="https://cdn.example.com/p/{i}.jpg" width="96" height="96" alt="Product {i}" style="display:block;border:0"></td>
                    <td class="column" style="padding:12px;font-size:14px;line-height:20px"><strong>You may also like: product {i}</strong><br>Hand-picked for customers who bought what you did. Free returns within 30 days.<br><a href="https://shop.example.com/p/{i}?utm_source=email&amp;utm_campaign=shipped" style="color:#1f3a5f">See it in the shop</a></td>
                  </tr></table>
                """));
        }

        html.Append(In(syntax, "</td></tr>\n<tr><td>{{ include \"footer\" }}</td></tr>", "</td></tr>\n<tr><td>{% include 'footer' %}</td></tr>"));
        html.Append("""
            </table></td></tr></table>
            </body></html>
            """);
        return html.ToString();
    }

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);
}
