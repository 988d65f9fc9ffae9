using System.Net;
using System.Text;

namespace Messaging.SmsPeer;

/// <summary>The peer's page: the texts it accepted, newest first, each with buttons that publish its events.</summary>
internal static class SmsPeerPage
{
    public static string Render(IReadOnlyList<ReceivedText> texts)
    {
        var rows = new StringBuilder();
        foreach (var text in texts.Reverse())
        {
            var id = WebUtility.HtmlEncode(text.MessageId);
            rows.Append("<tr><td>").Append(text.ReceivedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture))
                .Append("</td><td>").Append(WebUtility.HtmlEncode(text.To))
                .Append("</td><td>").Append(WebUtility.HtmlEncode(text.Body ?? ""))
                .Append("</td><td>").Append(WebUtility.HtmlEncode(text.Context.GetValueOrDefault("messageId") ?? ""))
                .Append("</td><td><button data-id=\"").Append(id).Append("\" data-event=\"TEXT_DELIVERED\">delivered</button> ")
                .Append("<button data-id=\"").Append(id).Append("\" data-event=\"STOP\">reply STOP</button></td></tr>\n");
        }

        return $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>SMS peer</title>
            <style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}</style>
            </head><body>
            <h1>Texts received ({{texts.Count}})</h1>
            <p>As JSON: <a href="/store">/store</a>. The buttons publish the text's event to the engine's feedback queue.</p>
            <table><thead><tr><th>received</th><th>to</th><th>text</th><th>engine messageId</th><th>events</th></tr></thead>
            <tbody>
            {{rows}}</tbody></table>
            <p id="result"></p>
            <script>
            document.querySelectorAll('button[data-id]').forEach(b => b.addEventListener('click', async () => {
              const r = await fetch('/events', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ messageId: b.dataset.id, event: b.dataset.event }) });
              document.getElementById('result').textContent = r.status + ' ' + await r.text();
            }));
            </script>
            </body></html>
            """;
    }
}
