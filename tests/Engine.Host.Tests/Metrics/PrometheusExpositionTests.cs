using System.Diagnostics.Metrics;
using Messaging.Host.Metrics;

namespace Messaging.Host.Tests.Metrics;

/// <summary>How measurements become Prometheus series: one series per label set, however its tags were given.</summary>
public sealed class PrometheusExpositionTests : IDisposable
{
    private readonly Meter _meter = new($"exposition-test-{Guid.NewGuid():N}");

    public void Dispose() => _meter.Dispose();

    [Fact]
    public void Measurements_with_the_same_tags_add_up_in_one_series_whatever_their_order_and_instances()
    {
        var sends = _meter.CreateCounter<long>("messaging.test.sends", description: "Sends in this test");
        using var exposition = new PrometheusExposition([_meter]);

        sends.Add(1, Tag("channel", "email"), Tag("set", "a"));
        sends.Add(2, Tag("set", "a"), Tag("channel", "email"));
        sends.Add(4, Tag("channel", new string("email".AsSpan())), Tag("set", "a"));
        sends.Add(8, Tag("channel", "sms"), Tag("set", "a"));
        sends.Add(256, Tag("channel", "email"), Tag("set", "b"));
        sends.Add(16);
        sends.Add(32);
        sends.Add(64, Tag("channel", "email"), Tag("set", "a"), Tag("zone", "z"));
        sends.Add(128, Tag("zone", "z"), Tag("channel", "email"), Tag("set", "a"));

        var lines = exposition.Render().Split('\n');

        Assert.Equal("messaging_test_sends_total{channel=\"email\",set=\"a\"} 7", Assert.Single(lines, l => l.Contains("channel=\"email\",set=\"a\"}", StringComparison.Ordinal)));
        Assert.Contains("messaging_test_sends_total{channel=\"sms\",set=\"a\"} 8", lines);
        Assert.Contains("messaging_test_sends_total{channel=\"email\",set=\"b\"} 256", lines);
        Assert.Contains("messaging_test_sends_total 48", lines);
        Assert.Contains("messaging_test_sends_total{channel=\"email\",set=\"a\",zone=\"z\"} 192", lines);
        Assert.Equal(5, lines.Count(l => l.StartsWith("messaging_test_sends_total", StringComparison.Ordinal)));
    }

    [Fact]
    public void Tag_values_that_are_equal_but_print_differently_are_different_series()
    {
        var moves = _meter.CreateCounter<long>("messaging.test.moves");
        using var exposition = new PrometheusExposition([_meter]);

        moves.Add(1, Tag("delta", 0.0));
        moves.Add(2, Tag("delta", -0.0));
        moves.Add(4, Tag("delta", 0.0));

        var lines = exposition.Render().Split('\n');

        Assert.Contains("messaging_test_moves_total{delta=\"0\"} 5", lines);
        Assert.Contains("messaging_test_moves_total{delta=\"-0\"} 2", lines);
    }

    [Fact]
    public void Histogram_measurements_of_one_label_set_fill_one_set_of_buckets()
    {
        var durations = _meter.CreateHistogram<double>("messaging.test.duration", unit: "s");
        using var exposition = new PrometheusExposition([_meter]);

        durations.Record(0.001, Tag("channel", "email"));
        durations.Record(1000, Tag("channel", "email"));
        durations.Record(0.001, Tag("channel", "sms"));

        var lines = exposition.Render().Split('\n');

        Assert.Contains("messaging_test_duration_seconds_count{channel=\"email\"} 2", lines);
        Assert.Contains("messaging_test_duration_seconds_bucket{channel=\"email\",le=\"+Inf\"} 2", lines);
        Assert.Contains("messaging_test_duration_seconds_count{channel=\"sms\"} 1", lines);
        Assert.Single(lines, l => l.StartsWith("messaging_test_duration_seconds_sum{channel=\"email\"}", StringComparison.Ordinal));
    }

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
}
