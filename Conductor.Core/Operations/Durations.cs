using System.Globalization;

namespace Conductor.Core.Operations;

/// <summary>
/// Operator durations as cron jobs and URLs write them: a number with a unit,
/// <c>45s</c>, <c>30m</c>, <c>24h</c>, <c>7d</c>, <c>2w</c>.
/// </summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Length < 2) return false;
        text = text.Trim();
        if (!long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > 100_000)
            return false;
        double? seconds = char.ToLowerInvariant(text[^1]) switch
        {
            's' => n,
            'm' => n * 60.0,
            'h' => n * 3600.0,
            'd' => n * 86400.0,
            'w' => n * 7 * 86400.0,
            _ => null,
        };
        if (seconds is null) return false;
        duration = TimeSpan.FromSeconds(seconds.Value);
        return true;
    }

    /// <summary>The shortest exact rendering, so a parsed value prints as the operator wrote it.</summary>
    public static string Format(TimeSpan span)
    {
        var s = (long)span.TotalSeconds;
        if (s % 86400 == 0) return $"{s / 86400}d";
        if (s % 3600 == 0) return $"{s / 3600}h";
        return s % 60 == 0 ? $"{s / 60}m" : $"{s}s";
    }
}
