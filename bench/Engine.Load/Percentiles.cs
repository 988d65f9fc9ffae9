using System.Globalization;

namespace Messaging.Load;

/// <summary>Percentiles and medians, as the result tables print them.</summary>
internal static class Percentiles
{
    /// <summary>"p50 / p99" in whole milliseconds.</summary>
    public static string P50AndP99(IReadOnlyList<double> sorted) =>
        string.Create(CultureInfo.InvariantCulture, $"{Of(sorted, 0.50):0} / {Of(sorted, 0.99):0}");

    /// <summary>The middle value, or the mean of the two middle ones (unsorted input).</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public static double Of(IReadOnlyList<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
