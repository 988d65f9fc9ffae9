using Messaging.Contracts.Requests;
using Messaging.Engine.Cluster;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Throttling;

public sealed class SendThrottlesTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static SendThrottles Throttles(TimeProvider time) => new(Options.Create(new ThrottlingOptions
    {
        EmailMaxSendRate = 14,
        SmsMaxSendRate = 5,
        SmsRateByOrigination = new() { ["+15550001111"] = 1, ["ShopCo"] = 0 },
    }), time);

    [Fact]
    public async Task Each_configured_origination_identity_has_its_own_SMS_throttle_and_the_rest_share_the_default()
    {
        await using var throttles = Throttles(TimeProvider.System);

        Assert.Equal(14, throttles.For(Channel.Email, "+15550001111").Limit);
        Assert.Equal(1, throttles.For(Channel.Sms, "+15550001111").Limit);
        Assert.Equal(double.PositiveInfinity, throttles.For(Channel.Sms, "ShopCo").Limit);
        Assert.Same(throttles.Sms, throttles.For(Channel.Sms, "+15559999999"));
        Assert.Same(throttles.Sms, throttles.For(Channel.Sms, null));
        Assert.Equal(5, throttles.Sms.Limit);
    }

    [Fact]
    public async Task The_gate_holds_an_SMS_from_a_busy_identity_but_lets_another_identity_through()
    {
        var time = new ManualTimeProvider();
        await using var throttles = Throttles(time);
        await using var provider = new AnsweringProvider();
        var gate = provider.Gate(throttles, NoDatabase());
        Task<bool> SendAsync(string origination) =>
            gate.SendAsync(throttles.For(Channel.Sms, origination), null, AnsweringProvider.Sms(origination), default).ContinueWith(r => r.Result.IsSuccess, TaskScheduler.Default);

        Assert.True(await SendAsync("+15550001111").WaitAsync(Deadline));
        var second = SendAsync("+15550001111");
        Assert.True(await SendAsync("+15559999999").WaitAsync(Deadline));

        Assert.False(second.IsCompleted, "a second SMS from a 1/s number went out in the same second");
        time.Advance(TimeSpan.FromSeconds(1.01));
        Assert.True(await second.WaitAsync(Deadline));
        Assert.Equal(3, provider.Arrivals.Count);
    }

    /// <summary>One node alone never asks for a shared send slot: this fails the test if it does.</summary>
    private static ClusterSendSlots NoDatabase() =>
        new(() => throw new InvalidOperationException("A single node asked the database for a send slot."), TimeProvider.System, AnsweringProvider.RequestTimeout, TimeSpan.Zero);
}
