namespace Conductor.Bench;

public static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static double Median(IReadOnlyList<double> values) => Percentile(values, 50);
}

/// <summary>One measured figure, its target and whether this run met it.</summary>
public sealed record Figure(string Scenario, string Name, double Value, string Unit, string Target, bool? Met, IReadOnlyList<double>? Runs = null);
