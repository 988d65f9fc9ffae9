using Messaging.Contracts.Requests;
using Messaging.Contracts.Validation;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Recipients;

namespace Messaging.Host;

/// <summary>What operators type (in a URL or on a command line), checked once for the API and the CLI alike.</summary>
internal static class OperatorInput
{
    /// <summary>The recipient, or why <paramref name="channel"/> and <paramref name="address"/> do not name one.</summary>
    public static (RecipientKey Key, string? Problem) Recipient(string channel, string address)
    {
        Channel? parsed = channel switch { "email" => Channel.Email, "sms" => Channel.Sms, _ => null };
        if (parsed is null)
        {
            return (default, $"channel '{channel}' is not 'email' or 'sms'");
        }

        var problem = parsed == Channel.Email ? EmailAddressRule.Check(address) : PhoneNumberRule.Check(address);
        return problem is null ? (RecipientKey.For(parsed.Value, address), null) : (default, $"'{address}' {problem}");
    }

    public static Category? Category(string name) =>
        name switch { "marketing" => Contracts.Requests.Category.Marketing, "transactional" => Contracts.Requests.Category.Transactional, _ => null };

    public static DeadLetterQueueKind? DeadLetterQueue(string name) =>
        name switch { "requests" => DeadLetterQueueKind.Requests, "feedback" => DeadLetterQueueKind.Feedback, _ => null };
}
