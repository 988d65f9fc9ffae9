using Messaging.Contracts.Requests;
using Messaging.Contracts.Validation;
using Messaging.Engine.Templates;

namespace Messaging.Engine.Sending;

/// <summary>
/// The last check before a message may reach the provider: every value that becomes a mail header (subject, sender,
/// configuration set) is one clean line, whatever made it — a producer, template data, template metadata or
/// configuration. Template data is the producer's too: <c>"name": "Ana\r\nBcc: x@y.com"</c> rendered into a subject
/// would otherwise add a header. Kept out of the template engine so that it holds whichever engine renders.
/// </summary>
internal static class RenderedMessageRule
{
    /// <summary>Why <paramref name="message"/> cannot be sent (a permanent rejection), or null when it can.</summary>
    public static string? Check(RenderedMessage message, MessageRequest request, TemplateDefinition? template, SendingOptions sending)
    {
        if (message.Channel == Channel.Email)
        {
            if (message.Subject is { } subject && HeaderTextRule.Check(subject) is { } badSubject)
            {
                return message.Template is { } label ? $"the subject rendered from template {label} {badSubject}" : $"the subject {badSubject}";
            }

            if (message.From is { } from && EmailAddressRule.CheckSender(from) is { } badSender)
            {
                var source = request.From is not null ? "the request's 'from'"
                    : template?.From is not null ? $"template {message.Template}'s 'from'"
                    : "Engine:Sending:DefaultEmailFrom";
                return $"the sender ({source}) {badSender}";
            }
        }

        if (message.ConfigurationSet is { } set && ConfigurationSetRule.Check(set) is { } badSet)
        {
            var category = ContractNames.Of(request.Category);
            var source = request.ConfigurationSet is not null ? "the request's 'configurationSet'"
                : template?.ConfigurationSet is not null ? $"template {message.Template}'s 'configurationSet'"
                : sending.ConfigurationSetByCategory.ContainsKey(category) ? $"Engine:Sending:ConfigurationSetByCategory:{category}"
                : "Engine:Sending:DefaultConfigurationSet";
            return $"the configuration set ({source}) {badSet}";
        }

        return null;
    }
}
