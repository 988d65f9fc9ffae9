using Messaging.Contracts.Requests;
using Messaging.Contracts.Validation;

namespace Messaging.Engine.Recipients;

/// <summary>
/// Who a recipient actor is: <c>email:ana@example.com</c> (by <see cref="EmailAddressRule.Normalize"/>: trimmed,
/// lower-cased, a quoted local part that needs no quotes unquoted) or <c>sms:+15551234567</c>. Two requests to the same
/// person reach the same actor whatever case, spacing or quoting the producer used, so suppression cannot be passed by
/// spelling an address differently. It is also the actor's persistence id.
/// </summary>
public readonly record struct RecipientKey
{
    private RecipientKey(Channel channel, string address)
    {
        Channel = channel;
        Address = address;
    }

    public Channel Channel { get; }

    public string Address { get; }

    public static RecipientKey For(Channel channel, string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var trimmed = address.Trim();
        return channel switch
        {
            Channel.Email => new RecipientKey(channel, EmailAddressRule.Normalize(trimmed)),
            Channel.Sms => new RecipientKey(channel, trimmed),
            _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "Unknown channel."),
        };
    }

    /// <summary>Reads <c>email:…</c> or <c>sms:…</c>, normalizing the address.</summary>
    public static bool TryParse(string? text, out RecipientKey key)
    {
        key = default;
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon <= 0 || colon == text!.Length - 1 || string.IsNullOrWhiteSpace(text[(colon + 1)..]))
        {
            return false;
        }

        Channel? channel = text[..colon] switch
        {
            "email" => Channel.Email,
            "sms" => Channel.Sms,
            _ => null,
        };
        if (channel is null)
        {
            return false;
        }

        key = For(channel.Value, text[(colon + 1)..]);
        return true;
    }

    public override string ToString() => $"{ContractNames.Of(Channel)}:{Address}";
}
