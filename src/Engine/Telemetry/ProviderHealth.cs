using Messaging.Engine.Aws;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Telemetry;

/// <summary>
/// Whether each provider (SQS, SES, SMS) answers, from the calls the engine makes anyway: a call that could not reach it
/// or got a 5xx marks it down, any answer below 500 (throttling and refusals included) marks it up. A failure is logged
/// at Warning at most once per provider per <see cref="WarningInterval"/>, with the count of those not logged since.
/// </summary>
public sealed partial class ProviderHealth(TimeProvider time, ILogger<ProviderHealth> logger)
{
    /// <summary>The least time between two warnings about one provider.</summary>
    public static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);

    /// <summary>The providers, by the label they carry on metrics, in display order.</summary>
    public static IReadOnlyList<AwsService> Providers { get; } = [AwsService.Sqs, AwsService.SesV2, AwsService.SmsVoiceV2];

    // By display name (SES, SQS, SMS): cheap to look up on every call.
    private readonly Dictionary<string, State> _states = Providers.ToDictionary(p => p.DisplayName, _ => new State(), StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The metric label of <paramref name="service"/>: <c>sqs</c>, <c>ses</c>, <c>sms</c>.</summary>
    public static string Label(AwsService service) => service.DisplayName.ToLowerInvariant();

    /// <summary>A call got an answer below 500: the provider is there.</summary>
    public void Answered(AwsService service)
    {
        var state = _states[service.DisplayName];
        if (state.Up)
        {
            return; // Every successful call passes here: no lock while nothing changes.
        }

        int failures;
        lock (_gate)
        {
            if (state.Up)
            {
                return;
            }

            failures = state.FailuresSinceUp;
            state.Up = true;
            state.FailuresSinceUp = 0;
            state.Suppressed = 0;
            state.LastWarning = null;
        }

        LogRecovered(service.DisplayName, failures);
    }

    /// <summary>A call could not reach the provider, or it answered 5xx.</summary>
    public void Failed(ProviderError error)
    {
        var state = _states[error.Service.DisplayName];
        var now = time.GetUtcNow();
        int suppressed;
        lock (_gate)
        {
            state.Up = false;
            state.FailuresSinceUp++;
            state.LastFailureAt = now;
            state.LastFailure = $"{error.Code}: {error.Message}";
            if (state.LastWarning is { } last && now - last < WarningInterval)
            {
                state.Suppressed++;
                return;
            }

            suppressed = state.Suppressed;
            state.Suppressed = 0;
            state.LastWarning = now;
        }

        LogFailure(error.Service.DisplayName, error.Code, error.Message, suppressed, WarningInterval.TotalSeconds);
    }

    /// <summary>Each provider's state now, in <see cref="Providers"/> order.</summary>
    public IReadOnlyList<ProviderStatus> Now()
    {
        lock (_gate)
        {
            return Providers.Select(p =>
            {
                var state = _states[p.DisplayName];
                return new ProviderStatus(Label(p), state.Up, state.LastFailureAt, state.LastFailure, state.FailuresSinceUp);
            }).ToList();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Provider} unreachable or failing: {Code}: {Reason} ({Suppressed} more failures in the last {Interval} s not logged)")]
    private partial void LogFailure(string provider, string code, string reason, int suppressed, double interval);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Provider} answers again after {Failures} failed calls")]
    private partial void LogRecovered(string provider, int failures);

    private sealed class State
    {
        private volatile bool _up = true;

        public bool Up
        {
            get => _up;
            set => _up = value;
        }

        public int FailuresSinceUp { get; set; }

        public int Suppressed { get; set; }

        public DateTimeOffset? LastWarning { get; set; }

        public DateTimeOffset? LastFailureAt { get; set; }

        public string? LastFailure { get; set; }
    }
}

/// <summary>One provider's health: up, and the last failure (kept after it recovers, so an outage is seen afterwards).</summary>
public sealed record ProviderStatus(string Provider, bool Up, DateTimeOffset? LastFailureAt, string? LastFailure, int FailuresSinceUp);
