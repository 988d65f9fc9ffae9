using Messaging.Contracts.Requests;
using Messaging.Engine.Templates;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Sending;

/// <summary>A message ready to send, or why the request can never be sent (a permanent rejection).</summary>
public sealed record RenderResult(RenderedMessage? Message, string? Problem)
{
    public static RenderResult Refused(string problem) => new(null, problem);
}

/// <summary>
/// Turns a request into a <see cref="RenderedMessage"/>. Content: the named template's current version rendered with
/// the request's data, or the inline content. Sender: request → template → configured default. Configuration set:
/// request → template → category mapping → configured default. An SMS longer than
/// <see cref="SendingOptions.SmsMaxSegments"/> is refused, and so is a message whose header-bound values (subject, sender,
/// configuration set) are not clean single lines (<see cref="RenderedMessageRule"/>).
/// </summary>
public sealed class MessageRenderer(TemplateCatalog templates, IOptions<SendingOptions> options)
{
    /// <exception cref="Persistence.JournalStorageException">The template store could not be read (transient).</exception>
    public async ValueTask<RenderResult> RenderAsync(MessageRequest request, CancellationToken cancellationToken)
    {
        var sending = options.Value;
        TemplateDefinition? template = null;
        string? templateLabel = null;
        RenderedContent content;
        if (request.Template is { } name)
        {
            CompiledTemplate? compiled;
            try
            {
                compiled = await templates.FindAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (TemplateCompileException e)
            {
                // Validated at push, so only a version stored around the validation can get here; retrying cannot help.
                return RenderResult.Refused($"template '{name}' does not compile ({e.Part}{(e.Line is { } line ? $", line {line}" : "")}): {e.Message}");
            }

            if (compiled is null)
            {
                return RenderResult.Refused($"template '{name}' not found");
            }

            if (compiled.Channel != request.Channel)
            {
                return RenderResult.Refused(
                    $"template '{name}' is an {ContractNames.Of(compiled.Channel)} template; the request's channel is {ContractNames.Of(request.Channel)}");
            }

            try
            {
                content = compiled.Render(request.Data);
            }
            catch (TemplateRenderException e)
            {
                return RenderResult.Refused(e.Message);
            }

            template = compiled.Source.Definition;
            templateLabel = compiled.Source.Label;
        }
        else if (request.Content is { } inline)
        {
            content = new RenderedContent(inline.Subject, inline.Html, inline.Text);
        }
        else
        {
            return RenderResult.Refused("the request has neither a template nor content");
        }

        var (from, configurationSet) = Resolve(request, template, sending);
        if (request.Channel == Channel.Email && from is null)
        {
            return RenderResult.Refused("no sender: neither the request ('from'), its template, nor Engine:Sending:DefaultEmailFrom names one");
        }

        if (request.Channel == Channel.Sms)
        {
            var segments = SmsSegments.Measure(content.Text ?? "");
            if (segments.Segments > sending.SmsMaxSegments)
            {
                return RenderResult.Refused(
                    $"the SMS takes {segments.Segments} segments ({segments.Units} {(segments.Encoding == SmsEncoding.Gsm7 ? "GSM-7 septets" : $"UCS-2 code units, because of '{segments.ForcedBy}'")}), " +
                    $"more than Engine:Sending:SmsMaxSegments allows ({sending.SmsMaxSegments})");
            }
        }

        var tags = new Dictionary<string, string>(request.Tags ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            // Feedback events carry the tags back: this is how a bounce finds its request.
            ["messageId"] = request.MessageId,
        };
        var message = new RenderedMessage(
            request.MessageId, request.Channel, request.To, from, configurationSet,
            content.Subject, content.Html, content.Text, tags, templateLabel);
        return RenderedMessageRule.Check(message, request, template, sending) is { } unsafeHeader
            ? RenderResult.Refused(unsafeHeader)
            : new RenderResult(message, null);
    }

    /// <summary>The sender and configuration set of a request, by the resolution rules (the request always wins).</summary>
    internal static (string? From, string? ConfigurationSet) Resolve(
        MessageRequest request, TemplateDefinition? template, SendingOptions sending)
    {
        var from = request.From
            ?? template?.From
            ?? (request.Channel == Channel.Email ? sending.DefaultEmailFrom : sending.DefaultSmsOrigination);
        var configurationSet = request.ConfigurationSet
            ?? template?.ConfigurationSet
            ?? sending.ConfigurationSetByCategory.GetValueOrDefault(ContractNames.Of(request.Category))
            ?? sending.DefaultConfigurationSet;
        return (from, configurationSet);
    }
}
