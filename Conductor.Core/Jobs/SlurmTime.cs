using System.Globalization;

namespace Conductor.Core.Jobs;

/// <summary>
/// Slurm's time formats: <c>minutes</c>, <c>minutes:seconds</c>, <c>hours:minutes:seconds</c>,
/// <c>days-hours</c>, <c>days-hours:minutes</c>, <c>days-hours:minutes:seconds</c>; plus
/// <c>UNLIMITED</c>/<c>INFINITE</c> (and <c>0</c>, as in Slurm) for no limit.
/// </summary>
public static class SlurmTime
{
    /// <summary>A limit that cannot overflow anything downstream (one year).</summary>
    public const int MaxSeconds = 366 * 24 * 3600;

    /// <returns>true with <paramref name="seconds"/> null for "no limit".</returns>
    public static bool TryParseSeconds(string? text, out int? seconds)
    {
        seconds = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (text.Equals("UNLIMITED", StringComparison.OrdinalIgnoreCase) || text.Equals("INFINITE", StringComparison.OrdinalIgnoreCase))
            return true;

        long days = 0;
        var rest = text;
        var dash = text.IndexOf('-');
        var hasDays = dash >= 0;
        if (hasDays)
        {
            if (!TryPart(text[..dash], out days)) return false;
            rest = text[(dash + 1)..];
        }
        var parts = rest.Split(':');
        if (parts.Length > 3) return false;
        var values = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!TryPart(parts[i], out values[i])) return false;

        long total = (hasDays, values.Length) switch
        {
            (false, 1) => values[0] * 60,                                  // minutes
            (false, 2) => values[0] * 60 + values[1],                      // minutes:seconds
            (false, 3) => values[0] * 3600 + values[1] * 60 + values[2],   // hours:minutes:seconds
            (true, 1) => values[0] * 3600,                                 // days-hours
            (true, 2) => values[0] * 3600 + values[1] * 60,                // days-hours:minutes
            (true, 3) => values[0] * 3600 + values[1] * 60 + values[2],    // days-hours:minutes:seconds
            _ => -1,
        };
        if (total < 0) return false;
        total += days * 86400;
        if (total > MaxSeconds) return false;
        seconds = total == 0 ? null : (int)total;
        return true;
    }

    private static bool TryPart(string part, out long value) =>
        long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out value) && part.Length <= 9;

    /// <summary>Slurm's elapsed format, <c>D-HH:MM:SS</c>.</summary>
    public static string FormatElapsed(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        return string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}-{span.Hours:00}:{span.Minutes:00}:{span.Seconds:00}");
    }
}
