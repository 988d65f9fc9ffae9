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
        Email = new SendThrottle("email", RateOrUnlimited(o.EmailMaxSendRate ?? 1), Priorities, timeProvider, o.ProviderWorkAtLeast);
        Sms = new SendThrottle("sms", RateOrUnlimited(o.SmsMaxSendRate), Priorities, timeProvider, o.ProviderWorkAtLeast);
        _smsByOrigination = o.SmsRateByOrigination.ToFrozenDictionary(
            pair => pair.Key,
            pair => new SendThrottle($"sms {pair.Key}", RateOrUnlimited(pair.Value), Priorities, timeProvider, o.ProviderWorkAtLeast),
            StringComparer.Ordinal);
        _accountRates = new Dictionary<SendThrottle, double> { [Email] = Email.Limit, [Sms] = Sms.Limit };
        foreach (var throttle in _smsByOrigination.Values)
        {
            _accountRates[throttle] = throttle.Limit;
        }
    }

    private readonly FrozenDictionary<string, SendThrottle> _smsByOrigination;
    private readonly Dictionary<SendThrottle, double> _accountRates;
    private readonly Lock _gate = new();
    private int _nodes = 1;

    /// <summary>Nodes sharing the account's rates (this one included); each throttle runs at its account rate ÷ this.</summary>
    public int Nodes
    {
        get
        {
            lock (_gate)
            {
                return _nodes;
            }
        }
    }

    /// <summary>The account's email rate (from the SES quota or configuration); this node takes its share of it.</summary>
    public void SetEmailAccountRate(double rate)
    {
        lock (_gate)
        {
            _accountRates[Email] = rate;
            Email.SetLimit(rate / _nodes);
        }
    }

    /// <summary>How many nodes share the account now: every throttle's limit becomes its account rate ÷ that.</summary>
    public void SetNodes(int nodes)
    {
        lock (_gate)
        {
            _nodes = Math.Max(1, nodes);
            foreach (var (throttle, rate) in _accountRates)
            {
                throttle.SetLimit(rate / _nodes);
            }
        }
    }

    /// <summary>Holds or releases every throttle (see <see cref="SendThrottle.Hold"/>).</summary>
    public void Hold(bool held)
    {
        foreach (var throttle in All)
        {
            throttle.Hold(held);
        }
    }

    private IEnumerable<SendThrottle> All => _smsByOrigination.Values.Append(Email).Append(Sms);

    public SendThrottle Email { get; }

    /// <summary>
    /// The account rate of <paramref name="throttle"/> when it is too small to split between the nodes (fewer calls a
    /// second than nodes): each node's own window would still allow one call a second, so sends must take shared
    /// slots (<see cref="Cluster.ClusterSendSlots"/>). Null when this node's share is enough on its own.
    /// </summary>
    public double? SharedSlotRate(SendThrottle throttle)
    {
        lock (_gate)
        {
            return _nodes > 1 && _accountRates.TryGetValue(throttle, out var rate) && rate < _nodes ? rate : null;
        }
    }

    /// <summary>The latest call any throttle let through.</summary>
    public DateTimeOffset LastCallAt =>
        _smsByOrigination.Values.Select(t => t.LastCallAt).Append(Email.LastCallAt).Append(Sms.LastCallAt).Max();

    /// <summary>When this node's last call has left every 1-second window: from then on it holds no part of any rate.</summary>
    public DateTimeOffset QuietAt => LastCallAt == DateTimeOffset.MinValue ? DateTimeOffset.MinValue : LastCallAt + SendThrottle.Window;

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
