using System.Collections.Frozen;
using Messaging.Contracts.Requests;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Throttling;

/// <summary>
/// The throttles: one for email (starting at 1/s until the SES quota is known, unless configured), one per configured
/// SMS origination identity, and one for SMS from any other identity.
/// </summary>
public sealed class SendThrottles : IAsyncDisposable, IDisposable
{
    /// <summary>Priority levels: request queues are ordered 0 (first) to 3.</summary>
    public const int Priorities = 4;

    public SendThrottles(IOptions<ThrottlingOptions> options, TimeProvider timeProvider)
    {
        var o = options.Value;
        Email = new SendThrottle("email", RateOrUnlimited(o.EmailMaxSendRate ?? 1), Priorities, timeProvider);
        Sms = new SendThrottle("sms", RateOrUnlimited(o.SmsMaxSendRate), Priorities, timeProvider);
        _smsByOrigination = o.SmsRateByOrigination.ToFrozenDictionary(
            pair => pair.Key,
            pair => new SendThrottle($"sms {pair.Key}", RateOrUnlimited(pair.Value), Priorities, timeProvider),
            StringComparer.Ordinal);
    }

    private readonly FrozenDictionary<string, SendThrottle> _smsByOrigination;

    public SendThrottle Email { get; }

    public SendThrottle Sms { get; }

    /// <summary>The throttle for a send on <paramref name="channel"/> from <paramref name="origination"/> (SMS only).</summary>
    public SendThrottle For(Channel channel, string? origination = null) =>
        channel == Channel.Email ? Email : SmsFrom(origination);

    public SendThrottle SmsFrom(string? origination) =>
        origination is not null && _smsByOrigination.TryGetValue(origination, out var throttle) ? throttle : Sms;

    internal static double RateOrUnlimited(double rate) => rate == 0 ? double.PositiveInfinity : rate;

    public void Dispose()
    {
        Email.Dispose();
        Sms.Dispose();
        foreach (var throttle in _smsByOrigination.Values)
        {
            throttle.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Email.DisposeAsync().ConfigureAwait(false);
        await Sms.DisposeAsync().ConfigureAwait(false);
        foreach (var throttle in _smsByOrigination.Values)
        {
            await throttle.DisposeAsync().ConfigureAwait(false);
        }
    }
}
