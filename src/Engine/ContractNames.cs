using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;

namespace Messaging.Engine;

/// <summary>The names the request contract uses for channels, categories and statuses, as stored and configured.</summary>
internal static class ContractNames
{
    public static string Of(Channel channel) => channel == Channel.Email ? "email" : "sms";

    public static string Of(Category category) => category == Category.Marketing ? "marketing" : "transactional";

    /// <summary>A suppression reason as stored and shown: <c>permanentBounce</c>, <c>complaint</c>, <c>optedOut</c>…</summary>
    public static string Of(Recipients.Events.SuppressionReason reason)
    {
        var name = reason.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    /// <summary>The category a stored name stands for (anything but <c>marketing</c> is transactional, the default).</summary>
    public static Category CategoryOf(string name) => name == "marketing" ? Category.Marketing : Category.Transactional;

    /// <summary>The status a stored name stands for; <paramref name="fallback"/> for a name this build does not know.</summary>
    public static MessageStatus StatusOf(string name, MessageStatus fallback) =>
        Enum.TryParse<MessageStatus>(name, ignoreCase: true, out var status) ? status : fallback;

    /// <summary>The status as in the contract's JSON: <c>softBounced</c>, <c>deadLettered</c>…</summary>
    public static string Of(MessageStatus status)
    {
        var name = status.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}
