using System.Net;
using System.Text;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Ses;
using Messaging.Engine.Aws.Sms;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Aws;

/// <summary>
/// The benchmark's provider simulator, driven by the engine's own SES and SMS clients (signed requests, the real wire
/// format): it must refuse exactly what the account rate forbids, in SES's words, and count whose sends it took.
/// </summary>
public sealed class ProviderSimulatorTests : IAsyncLifetime
{
    private ProviderSimulator _simulator = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ProviderSimulator.StartAsync(emailRate: 3, smsRate: 2, latency: TimeSpan.Zero);
        // The engine's own throttle is off, so the simulator's limit is what these calls meet.
        _services = AwsTestServices.Create(ses: _simulator.Endpoint, sms: _simulator.Endpoint, extraSettings: new Dictionary<string, string?>
        {
            ["Engine:Throttling:EmailMaxSendRate"] = "0",
            ["Engine:Throttling:SmsMaxSendRate"] = "0",
        });
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Emails_beyond_the_account_rate_in_one_second_are_answered_429_TooManyRequests_and_not_sent()
    {
        var ses = _services.GetRequiredService<SesClient>();
        var ids = Enumerable.Range(0, 5).Select(i => $"m{i}").ToList();

        // Five calls at once, so they arrive well inside one second however slow a first call is: three fit the 3/s
        // account, whichever arrive first.
        var results = await Task.WhenAll(ids.Select(id => ses.SendEmailAsync(Email(id), default)));

        Assert.Equal(3, results.Count(r => r.IsSuccess));
        Assert.All(results.Where(r => !r.IsSuccess), r =>
        {
            Assert.Equal(ProviderErrorKind.Throttled, r.Error!.Kind);
            Assert.Equal("TooManyRequestsException", r.Error.Code);
        });
        Assert.Equal(
            ids.Where((_, i) => results[i].IsSuccess).Order(StringComparer.Ordinal),
            _simulator.Accepted.Select(a => a.MessageId).Order(StringComparer.Ordinal));
        Assert.Equal(2, _simulator.Throttled);
        Assert.Equal(5, _simulator.CallTimes.Count);
        Assert.Equal(0, _simulator.Doubled);
    }

    [Fact]
    public async Task The_account_reports_the_simulated_rate_and_an_SMS_carries_its_message_id_in_the_context()
    {
        var account = await _services.GetRequiredService<SesClient>().GetAccountAsync(default);
        Assert.Equal(3, account.Value.MaxSendRate);

        var sms = _services.GetRequiredService<SmsClient>();
        var sent = await sms.SendTextMessageAsync(Text("s1"), default);
        var again = await sms.SendTextMessageAsync(Text("s1"), default);
        var third = await sms.SendTextMessageAsync(Text("s2"), default);

        Assert.True(sent.IsSuccess);
        Assert.True(again.IsSuccess);
        Assert.Equal(ProviderErrorKind.Throttled, third.Error!.Kind);
        Assert.Equal(1, _simulator.DistinctMessages);
        Assert.Equal(1, _simulator.Doubled);
        Assert.Empty(_simulator.Rejections);
    }

    [Fact]
    public async Task An_unsigned_or_malformed_send_is_refused_and_named()
    {
        using var http = new HttpClient();
        using var unsigned = await http.PostAsync(new Uri(_simulator.Endpoint, "/v2/email/outbound-emails"),
            new StringContent("""{"FromEmailAddress":"a@b.c"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Contains("Missing Authentication Token", Assert.Single(_simulator.Rejections), StringComparison.Ordinal);
        Assert.Equal(0, _simulator.AcceptedCount);
    }

    [Fact]
    public async Task No_send_is_answered_sooner_than_its_latency_after_it_was_counted()
    {
        // A 100 ms provider that answered some calls after 97 ms let a caller stating 98 ms of provider work break the
        // account rate: the latency is the least a caller may count on, whatever the timers' coarse clock does.
        await using var slow = await ProviderSimulator.StartAsync(emailRate: 1_000, smsRate: 1, latency: TimeSpan.FromMilliseconds(20));
        await using var services = AwsTestServices.Create(ses: slow.Endpoint, extraSettings: new Dictionary<string, string?>
        {
            ["Engine:Throttling:EmailMaxSendRate"] = "0",
        });
        var ses = services.GetRequiredService<SesClient>();

        for (var i = 0; i < 40; i++)
        {
            Assert.True((await ses.SendEmailAsync(Email($"l{i}"), default)).IsSuccess);
        }

        var answers = slow.Answers;
        Assert.Equal(40, answers.Answered);
        Assert.True(answers.LeastAfterCounting >= TimeSpan.FromMilliseconds(20), $"a send was answered {answers.LeastAfterCounting.TotalMilliseconds:0.00} ms after it was counted");
    }

    private static SesEmail Email(string messageId) => new()
    {
        From = "shop@example.com",
        To = ["ana@example.com"],
        Subject = "s",
        Text = "t",
        Headers = [new("X-Correlation-ID", messageId)],
    };

    private static SmsText Text(string messageId) => new()
    {
        DestinationPhoneNumber = "+14255550100",
        MessageBody = "hi",
        Context = new Dictionary<string, string> { ["messageId"] = messageId },
    };
}
