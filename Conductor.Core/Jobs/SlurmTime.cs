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
    public const int MaxSeconds = DurationParser.MaxSeconds;

    /// <returns>true with <paramref name="seconds"/> null for "no limit".</returns>
    public static bool TryParseSeconds(string? text, out int? seconds) => TryParse(text, twoPartsAreHoursMinutes: false, out seconds);

    /// <summary>Slurm's reading, or SCNS's where two parts are hours:minutes (<see cref="ScnsTime"/>).</summary>
    internal static bool TryParse(string? text, bool twoPartsAreHoursMinutes, out int? seconds)
    {
        seconds = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (text.Equals("UNLIMITED", StringComparison.OrdinalIgnoreCase) || text.Equals("INFINITE", StringComparison.OrdinalIgnoreCase))
            return true;
        if (DurationParser.Seconds(text, twoPartsAreHoursMinutes) is not { } total) return false;
        seconds = total == 0 ? null : total;
        return true;
    }

    /// <summary>Slurm's elapsed format, <c>D-HH:MM:SS</c>.</summary>
    public static string FormatElapsed(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        return string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}-{span.Hours:00}:{span.Minutes:00}:{span.Seconds:00}");
    }
}
