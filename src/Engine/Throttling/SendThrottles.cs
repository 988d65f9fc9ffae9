using Messaging.Contracts.Requests;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Throttling;

/// <summary>The throttle of each channel. Email starts at 1/s until the SES quota is known, unless configured.</summary>
public sealed class SendThrottles : IAsyncDisposable, IDisposable
{
    /// <summary>Priority levels: request queues are ordered 0 (first) to 3.</summary>
    public const int Priorities = 4;

    public SendThrottles(IOptions<ThrottlingOptions> options, TimeProvider timeProvider)
    {
        var o = options.Value;
        Email = new SendThrottle("email", RateOrUnlimited(o.EmailMaxSendRate ?? 1), Priorities, timeProvider);
        Sms = new SendThrottle("sms", RateOrUnlimited(o.SmsMaxSendRate), Priorities, timeProvider);
    }

    public SendThrottle Email { get; }

    public SendThrottle Sms { get; }

    public SendThrottle For(Channel channel) => channel == Channel.Email ? Email : Sms;

    internal static double RateOrUnlimited(double rate) => rate == 0 ? double.PositiveInfinity : rate;

    public void Dispose()
    {
        Email.Dispose();
        Sms.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await Email.DisposeAsync().ConfigureAwait(false);
        await Sms.DisposeAsync().ConfigureAwait(false);
    }
}
