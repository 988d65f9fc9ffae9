using System.Collections.Concurrent;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Messaging.Engine.Templates;

/// <summary>
/// The text part of an email whose template has only HTML: the readable text of the rendered HTML, with paragraphs,
/// line breaks, list items and link targets kept, and head, style and script dropped. Mail clients that show text,
/// and spam filters that compare the two parts, both expect it.
/// </summary>
/// <remarks>
/// A parser costs about as much to make as a page costs to parse, and one may not be used by two threads at once
/// (AngleSharp's advice): each instance keeps a few for reuse, at most one per core.
/// </remarks>
internal sealed class HtmlText
{
    private readonly ConcurrentBag<HtmlParser> _parsers = [];

    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase) { "head", "style", "script", "template", "noscript" };

    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "blockquote", "center", "table",
        "tr", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "address", "form", "fieldset", "figure",
    };

    public string From(string html)
    {
        var parser = _parsers.TryTake(out var idle) ? idle : new HtmlParser();
        try
        {
            using var document = parser.ParseDocument(html);
            var text = new TextBuilder();
            Walk(document.Body ?? (INode)document.DocumentElement, text);
            return text.ToString();
        }
        finally
        {
            if (_parsers.Count < Environment.ProcessorCount)
            {
                _parsers.Add(parser);
            }
        }
    }

    private static void Walk(INode node, TextBuilder text)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText t:
                    text.Words(t.Data);
                    break;
                case IElement element when Skipped.Contains(element.LocalName):
                    break;
                case IElement element:
                    Element(element, text);
                    break;
            }
        }
    }

    private static void Element(IElement element, TextBuilder text)
    {
        switch (element.LocalName)
        {
            case "br":
                text.LineBreak();
                return;
            case "hr":
                text.Paragraph();
                text.Raw("----");
                text.Paragraph();
                return;
            case "img":
                if (element.GetAttribute("alt") is { Length: > 0 } alt)
                {
                    text.Words(alt);
                }

                return;
            case "li":
                text.LineBreak();
                text.Raw("- ");
                Walk(element, text);
                text.LineBreak();
                return;
            case "td" or "th":
                text.Words(" ");
                Walk(element, text);
                text.Words(" ");
                return;
            case "a":
                var before = text.Length;
                Walk(element, text);
                var href = element.GetAttribute("href");
                var target = href is not null && href.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) ? href[7..] : href;
                if (target is { Length: > 0 } && !target.StartsWith('#') && !text.EndsWith(target, before))
                {
                    text.Words($" ({target})");
                }

                return;
        }

        var block = Blocks.Contains(element.LocalName);
        if (block)
        {
            text.Paragraph();
        }

        Walk(element, text);
        if (block)
        {
            text.Paragraph();
        }
    }

    /// <summary>Collapses HTML whitespace as a browser does, and keeps at most one blank line between blocks.</summary>
    private sealed class TextBuilder
    {
        private readonly StringBuilder _text = new();
        private int _pendingBreaks;
        private bool _pendingSpace;

        public int Length => _text.Length;

        public bool EndsWith(string value, int from) =>
            _text.Length - from >= value.Length && _text.ToString(from, _text.Length - from).Trim() == value;

        public void Words(string data)
        {
            foreach (var c in data)
            {
                if (char.IsWhiteSpace(c))
                {
                    _pendingSpace = true;
                    continue;
                }

                Flush();
                _text.Append(c);
            }
        }

        public void Raw(string value)
        {
            Flush();
            _text.Append(value);
        }

        public void LineBreak() => Break(1);

        public void Paragraph() => Break(2);

        private void Break(int lines)
        {
            _pendingSpace = false;
            if (_text.Length > 0)
            {
                _pendingBreaks = Math.Max(_pendingBreaks, lines);
            }
        }

        private void Flush()
        {
            if (_pendingBreaks > 0)
            {
                _text.Append('\n', _pendingBreaks);
                _pendingBreaks = 0;
            }
            else if (_pendingSpace && _text.Length > 0 && _text[^1] != '\n' && _text[^1] != ' ')
            {
                _text.Append(' ');
            }

            _pendingSpace = false;
        }

        public override string ToString() => _text.ToString().TrimEnd();
    }
}
