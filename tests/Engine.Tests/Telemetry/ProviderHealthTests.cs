using Messaging.Engine.Aws;
using Messaging.Engine.Telemetry;
using Messaging.Testing;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Tests.Telemetry;

/// <summary>Provider failures are warned about at most once per provider per interval, with what was not logged; recovery is said once.</summary>
public sealed class ProviderHealthTests
{
    private static ProviderError Refused(AwsService service) => new(service, ProviderErrorKind.Transient, "ConnectionFailed", "Connection refused");

    [Fact]
    public void Failures_within_the_interval_are_counted_into_the_next_warning_and_one_provider_does_not_silence_another()
    {
        var time = new ManualTimeProvider();
        var log = new CollectingLogger();
        var health = new ProviderHealth(time, log);

        for (var i = 0; i < 10; i++)
        {
            health.Failed(Refused(AwsService.SesV2));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        health.Failed(Refused(AwsService.Sqs));
        time.Advance(ProviderHealth.WarningInterval);
        health.Failed(Refused(AwsService.SesV2));

        Assert.Equal(
        [
            "Warning SES unreachable or failing: ConnectionFailed: Connection refused (0 more failures in the last 30 s not logged)",
            "Warning SQS unreachable or failing: ConnectionFailed: Connection refused (0 more failures in the last 30 s not logged)",
            "Warning SES unreachable or failing: ConnectionFailed: Connection refused (9 more failures in the last 30 s not logged)",
        ], log.Lines);
        var ses = health.Now().Single(p => p.Provider == "ses");
        Assert.Equal((false, 11, "ConnectionFailed: Connection refused", time.GetUtcNow()), (ses.Up, ses.FailuresSinceUp, ses.LastFailure, ses.LastFailureAt));
        Assert.True(health.Now().Single(p => p.Provider == "sms").Up);
    }

    [Fact]
    public void An_answer_after_an_outage_is_said_once_and_the_last_failure_stays_visible()
    {
        var time = new ManualTimeProvider();
        var log = new CollectingLogger();
        var health = new ProviderHealth(time, log);
        health.Failed(Refused(AwsService.SesV2));
        health.Failed(Refused(AwsService.SesV2));

        health.Answered(AwsService.SesV2);
        health.Answered(AwsService.SesV2);
        health.Failed(Refused(AwsService.SesV2));

        Assert.Equal(
        [
            "Warning SES unreachable or failing: ConnectionFailed: Connection refused (0 more failures in the last 30 s not logged)",
            "Information SES answers again after 2 failed calls",
            "Warning SES unreachable or failing: ConnectionFailed: Connection refused (0 more failures in the last 30 s not logged)",
        ], log.Lines);
    }

    private sealed class CollectingLogger : ILogger<ProviderHealth>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{logLevel} {formatter(state, exception)}");
    }
}
