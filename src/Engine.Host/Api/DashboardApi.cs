using Messaging.Engine.Reputation;
using Messaging.Engine.Telemetry;
using Messaging.Host.Auth;
using Messaging.Host.Metrics;
using Microsoft.Extensions.Options;

namespace Messaging.Host.Api;

/// <summary>
/// What the dashboard shows at one moment; it polls this and draws the send rate from successive totals. A rate limit
/// of null means unlimited (JSON has no infinity).
/// </summary>
public sealed record DashboardSummary(
    DateTimeOffset At,
    IReadOnlyDictionary<string, double> SentTotal,
    IReadOnlyDictionary<string, double?> RateLimit,
    IReadOnlyDictionary<string, double?> Pace,
    IReadOnlyDictionary<string, double> Outcomes,
    IReadOnlyDictionary<string, double> QueueDepths,
    double LiveActors,
    ReputationStatus Reputation,
    ReputationThresholds Thresholds,
    IReadOnlyList<ProviderStatus> Providers);

/// <summary>The guard's warn and pause levels, for drawing the rates against them.</summary>
public sealed record ReputationThresholds(double WarnBounceRate, double PauseBounceRate, double WarnComplaintRate, double PauseComplaintRate);

/// <summary>The dashboard page (static files under <c>wwwroot/dashboard</c>, no CDN) and its one data call.</summary>
internal static class DashboardApi
{
    public static void MapDashboard(this WebApplication app)
    {
        app.MapGet("/dashboard", () => Results.Redirect("/dashboard/index.html"));
        app.MapGet("/dashboard/summary", (PrometheusExposition metrics, ReputationGuard guard, IOptions<ReputationOptions> options, ProviderHealth providers, TimeProvider time) =>
        {
            var values = metrics.Snapshot();
            IReadOnlyDictionary<string, double> ByLabel(string metric, string label) => values
                .Where(v => v.Key.StartsWith(metric + "{", StringComparison.Ordinal))
                .GroupBy(v => LabelValue(v.Key, label))
                .ToDictionary(g => g.Key, g => g.Sum(v => v.Value), StringComparer.Ordinal);

            var settings = options.Value;
            return TypedResults.Ok(new DashboardSummary(
                time.GetUtcNow(),
                ByLabel("messaging_sends_total", "channel"),
                Finite(ByLabel("messaging_send_rate_limit", "channel")),
                Finite(ByLabel("messaging_send_rate_pace", "channel")),
                ByLabel("messaging_requests_outcomes_total", "outcome"),
                ByLabel("messaging_queue_depth", "queue"),
                values.GetValueOrDefault("messaging_actors_live"),
                guard.Status,
                new ReputationThresholds(settings.WarnBounceRate, settings.PauseBounceRate, settings.WarnComplaintRate, settings.PauseComplaintRate),
                providers.Now()));
        }).RequireAuthorization(OperatorRoles.ReadPolicy).WithTags("operator").WithSummary("What the dashboard draws");
    }

    private static IReadOnlyDictionary<string, double?> Finite(IReadOnlyDictionary<string, double> values) =>
        values.ToDictionary(v => v.Key, v => double.IsFinite(v.Value) ? v.Value : (double?)null, StringComparer.Ordinal);

    /// <summary>The value of one label in a <c>name{a="x",b="y"}</c> key.</summary>
    private static string LabelValue(string key, string label)
    {
        var start = key.IndexOf(label + "=\"", StringComparison.Ordinal);
        if (start < 0)
        {
            return "";
        }

        start += label.Length + 2;
        return key[start..key.IndexOf('"', start)];
    }
}
