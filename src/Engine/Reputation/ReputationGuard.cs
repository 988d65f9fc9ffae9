using System.Diagnostics.Metrics;
using System.Globalization;
using Messaging.Contracts.Requests;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Reputation;

/// <summary>One scope's counts in the current hourly window, and its rates (null below the minimum volume).</summary>
public sealed record ReputationRate(string Scope, long Sent, long Bounces, long Complaints, double? BounceRate, double? ComplaintRate);

/// <summary>What the guard last concluded: which categories are paused and why, warnings, and this hour's rates.</summary>
public sealed record ReputationStatus(
    DateTimeOffset EvaluatedAt, IReadOnlyList<CategoryPause> Pauses, IReadOnlyList<string> Warnings, IReadOnlyList<ReputationRate> Rates)
{
    public static ReputationStatus Unknown { get; } = new(DateTimeOffset.MinValue, [], [], []);

    public CategoryPause? PauseOf(string category) => Pauses.FirstOrDefault(p => p.Category == category && p.Paused);
}

/// <summary>
/// Protects the account's sending reputation. Every <see cref="ReputationOptions.EvaluateInterval"/> it adds this node's
/// counts to the shared hourly windows, then looks at the current and previous window of the account and of each
/// configuration set: two windows in a row at the warning rate warn; one window at the pause rate pauses
/// <see cref="ReputationOptions.PausedCategories"/> (email only) until an operator resumes. Windows that began before
/// the last resume do not pause again, so a resume is not undone by the hour that caused it.
/// </summary>
public sealed partial class ReputationGuard : IHostedService, IDisposable
{
    public const string GuardName = "reputation guard";

    /// <summary>The meter of the guard's gauges (for <c>dotnet-counters</c>, OpenTelemetry and <c>/metrics</c>).</summary>
    public const string MeterName = "Messaging.Engine.Reputation";

    private const long HourMs = 3_600_000;

    private readonly ReputationStore store;
    private readonly ReputationCounter counter;
    private readonly IOptions<ReputationOptions> options;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<ReputationGuard> logger;
    private readonly SemaphoreSlim _evaluating = new(1, 1);
    private readonly Meter _meter = new(MeterName);
    private volatile ReputationStatus _status = ReputationStatus.Unknown;
    private BackgroundLoop? _loop;

    public ReputationGuard(
        ReputationStore store, ReputationCounter counter, IOptions<ReputationOptions> options, TimeProvider timeProvider,
        ILogger<ReputationGuard> logger)
    {
        this.store = store;
        this.counter = counter;
        this.options = options;
        this.timeProvider = timeProvider;
        this.logger = logger;
        _meter.CreateObservableGauge("messaging.reputation.paused",
            () => options.Value.Paused.Select(c => new Measurement<int>(_status.PauseOf(c) is null ? 0 : 1, new KeyValuePair<string, object?>("category", c))),
            description: "1 while email of the category is paused for the account's reputation");
        _meter.CreateObservableGauge("messaging.reputation.warnings", () => _status.Warnings.Count,
            description: "Reputation warnings in force (two hours at the warning rate)");
        _meter.CreateObservableGauge("messaging.reputation.bounce_rate",
            () => _status.Rates.Where(r => r.BounceRate is not null).Select(r => new Measurement<double>(r.BounceRate!.Value, new KeyValuePair<string, object?>("scope", r.Scope))),
            description: "Hard bounces per send in the current hour (scopes with the minimum volume)");
        _meter.CreateObservableGauge("messaging.reputation.complaint_rate",
            () => _status.Rates.Where(r => r.ComplaintRate is not null).Select(r => new Measurement<double>(r.ComplaintRate!.Value, new KeyValuePair<string, object?>("scope", r.Scope))),
            description: "Complaints per send in the current hour (scopes with the minimum volume)");
    }

    /// <summary>This guard's meter, so a listener can tell it from another guard's in the same process.</summary>
    public Meter Meter => _meter;

    public void Dispose()
    {
        _meter.Dispose();
        _evaluating.Dispose();
    }

    public ReputationStatus Status => _status;

    /// <summary>How long a request of a paused category waits on its queue before it is looked at again.</summary>
    public TimeSpan PausedRetryDelay => options.Value.PausedRetryDelay;

    /// <summary>True when email of this category must wait (the guard or an operator paused it).</summary>
    public bool IsPaused(Category category, out string? reason)
    {
        var pause = _status.PauseOf(ContractNames.Of(category));
        reason = pause?.Reason;
        return pause is not null;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A pause written by another node (or before a restart) holds from the first request on.
        await EvaluateAsync(cancellationToken).ConfigureAwait(false);
        _loop = new BackgroundLoop(GuardName, async stopping =>
        {
            await EvaluateAsync(stopping).ConfigureAwait(false);
            return false;
        }, options.Value.EvaluateInterval, TimeSpan.FromMinutes(1), timeProvider, logger);
        _loop.Start();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _loop, null) is { } loop)
        {
            await loop.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            // The last counts of this node, so the cluster's windows stay whole.
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Persistence.JournalStorageException e)
        {
            LogFinalFlushFailed(e);
        }
    }

    /// <summary>Writes counts, reads the windows and pauses, and decides. Runs on a timer; tests and operators may call it.</summary>
    public async Task<ReputationStatus> EvaluateAsync(CancellationToken cancellationToken)
    {
        await _evaluating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var settings = options.Value;
            var now = timeProvider.GetUtcNow();
            var current = ReputationCounter.WindowOf(now);
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            var windows = await store.ReadAsync(current - HourMs, cancellationToken).ConfigureAwait(false);
            var pauses = await store.PausesAsync(cancellationToken).ConfigureAwait(false);

            var scopes = windows.Keys.Select(k => k.ConfigurationSet).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal)
                .Select(set => ($"configuration set '{set}'", (Func<string, bool>)(s => s == set)))
                .Prepend(("the account", _ => true))
                .ToList();
            WindowCounts Counts(long window, Func<string, bool> inScope) =>
                windows.Where(w => w.Key.WindowStart == window && inScope(w.Key.ConfigurationSet)).Aggregate(WindowCounts.Zero, (sum, w) => sum.Plus(w.Value));

            var warnings = new List<string>();
            var rates = new List<ReputationRate>();
            foreach (var (scope, inScope) in scopes)
            {
                var now1 = Counts(current, inScope);
                var before = Counts(current - HourMs, inScope);
                rates.Add(new ReputationRate(scope, now1.Sent, now1.Bounces, now1.Complaints, now1.BounceRate(settings.MinimumSends), now1.ComplaintRate(settings.MinimumSends)));
                warnings.AddRange(WarningsOf(scope, before, now1, settings));

                foreach (var category in settings.Paused)
                {
                    if (pauses.Any(p => p.Category == category && p.Paused))
                    {
                        continue;
                    }

                    var resumedAt = pauses.FirstOrDefault(p => p.Category == category)?.ChangedAt.ToUnixTimeMilliseconds() ?? long.MinValue;
                    foreach (var window in new[] { current - HourMs, current }.Where(w => w >= resumedAt))
                    {
                        if (PauseReason(scope, window, Counts(window, inScope), settings) is { } reason)
                        {
                            if (await store.SetAsync(new CategoryPause(category, true, reason, GuardName, now), cancellationToken).ConfigureAwait(false))
                            {
                                LogPaused(category, reason);
                            }

                            break;
                        }
                    }
                }
            }

            foreach (var warning in warnings.Except(_status.Warnings))
            {
                LogWarning(warning);
            }

            var status = new ReputationStatus(now, await store.PausesAsync(cancellationToken).ConfigureAwait(false), warnings, rates);
            _status = status;
            return status;
        }
        finally
        {
            _evaluating.Release();
        }
    }

    /// <summary>An operator lifts a pause; the hour that caused it will not cause it again.</summary>
    public async Task<bool> ResumeAsync(Category category, string by, string reason, CancellationToken cancellationToken)
    {
        var name = ContractNames.Of(category);
        var changed = await store.SetAsync(new CategoryPause(name, false, reason, by, timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        LogResumed(name, by, reason);
        await EvaluateAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    /// <summary>An operator pauses a category by hand (until resumed).</summary>
    public async Task<bool> PauseAsync(Category category, string by, string reason, CancellationToken cancellationToken)
    {
        var name = ContractNames.Of(category);
        var changed = await store.SetAsync(new CategoryPause(name, true, reason, by, timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        await EvaluateAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var counts = counter.Drain();
        if (counts.Count == 0)
        {
            return;
        }

        try
        {
            await store.AddAsync(counts, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            counter.Restore(counts);
            throw;
        }
    }

    private static string? PauseReason(string scope, long window, WindowCounts counts, ReputationOptions settings)
    {
        var hour = DateTimeOffset.FromUnixTimeMilliseconds(window).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        if (counts.BounceRate(settings.MinimumSends) is { } bounces && bounces >= settings.PauseBounceRate)
        {
            return $"bounce rate {Percent(bounces, 1)} ({counts.Bounces} of {counts.Sent}) for {scope} in the hour from {hour} UTC reached the pause level {Percent(settings.PauseBounceRate, 1)}";
        }

        if (counts.ComplaintRate(settings.MinimumSends) is { } complaints && complaints >= settings.PauseComplaintRate)
        {
            return $"complaint rate {Percent(complaints, 2)} ({counts.Complaints} of {counts.Sent}) for {scope} in the hour from {hour} UTC reached the pause level {Percent(settings.PauseComplaintRate, 2)}";
        }

        return null;
    }

    private static IEnumerable<string> WarningsOf(string scope, WindowCounts previous, WindowCounts current, ReputationOptions settings)
    {
        if (previous.BounceRate(settings.MinimumSends) is { } b1 && current.BounceRate(settings.MinimumSends) is { } b2
            && b1 >= settings.WarnBounceRate && b2 >= settings.WarnBounceRate)
        {
            yield return $"bounce rate of {scope} at or above {Percent(settings.WarnBounceRate, 1)} for two hours: {Percent(b1, 1)}, then {Percent(b2, 1)}";
        }

        if (previous.ComplaintRate(settings.MinimumSends) is { } c1 && current.ComplaintRate(settings.MinimumSends) is { } c2
            && c1 >= settings.WarnComplaintRate && c2 >= settings.WarnComplaintRate)
        {
            yield return $"complaint rate of {scope} at or above {Percent(settings.WarnComplaintRate, 2)} for two hours: {Percent(c1, 2)}, then {Percent(c2, 2)}";
        }
    }

    /// <summary>6.0% whatever the machine's culture: these texts go to logs, readiness and operators.</summary>
    private static string Percent(double rate, int decimals) =>
        (rate * 100).ToString(decimals == 1 ? "0.0" : "0.00", CultureInfo.InvariantCulture) + "%";

    [LoggerMessage(Level = LogLevel.Error, Message = "Reputation guard paused {Category} email: {Reason}")]
    private partial void LogPaused(string category, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reputation warning: {Warning}")]
    private partial void LogWarning(string warning);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Category} email resumed by {By}: {Reason}")]
    private partial void LogResumed(string category, string by, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing this node's last reputation counts at shutdown failed; they are lost")]
    private partial void LogFinalFlushFailed(Exception exception);
}
