using Messaging.Contracts.Requests;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Sending;

/// <summary>
/// Turns a request into a <see cref="RenderedMessage"/>: content (inline today; templates arrive with the template
/// store), sender = request → configured default, configuration set = request → category mapping → default.
/// </summary>
public sealed class MessageRenderer(IOptions<SendingOptions> options)
{
    /// <summary>The rendered message, or the reason it cannot be made (a permanent rejection).</summary>
    public (RenderedMessage? Message, string? Problem) Render(MessageRequest request)
    {
        if (request.Template is { } template)
        {
            return (null, $"template '{template}' not found: this engine has no template store yet; send inline content");
        }

        var content = request.Content;
        if (content is null)
        {
            return (null, "the request has neither a template nor content");
        }

        var sending = options.Value;
        var from = request.From ?? (request.Channel == Channel.Email ? sending.DefaultEmailFrom : sending.DefaultSmsOrigination);
        if (request.Channel == Channel.Email && from is null)
        {
            return (null, "no sender: the request has no 'from' and Engine:Sending:DefaultEmailFrom is not set");
        }

        var category = ContractNames.Of(request.Category);
        var configurationSet = request.ConfigurationSet
            ?? sending.ConfigurationSetByCategory.GetValueOrDefault(category)
            ?? sending.DefaultConfigurationSet;
        var tags = new Dictionary<string, string>(request.Tags ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            // Feedback events carry the tags back: this is how a bounce finds its request.
            ["messageId"] = request.MessageId,
        };
        return (new RenderedMessage(
            request.MessageId, request.Channel, request.To, from, configurationSet,
            content.Subject, content.Html, content.Text, tags), null);
    }
}
