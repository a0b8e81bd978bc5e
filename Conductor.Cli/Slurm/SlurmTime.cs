using System.Globalization;
using Conductor.Core.Jobs;

namespace Conductor.Cli.Slurm;

/// <summary>
/// Slurm's time limit formats as sbatch reads them: <c>MM</c>, <c>MM:SS</c>, <c>HH:MM:SS</c>,
/// <c>D-HH</c>, <c>D-HH:MM</c>, <c>D-HH:MM:SS</c>; <c>0</c>, <c>-1</c>, <c>UNLIMITED</c> and
/// <c>INFINITE</c> mean no limit. The API is sent the unambiguous <c>D-HH:MM:SS</c> (its own
/// reading of two parts, SCNS's <c>H:MM</c>, differs from Slurm's <c>MM:SS</c>).
/// </summary>
internal static class SlurmTime
{
    public const string Unlimited = "UNLIMITED";

    /// <returns>Seconds, or null for no limit.</returns>
    public static int? ParseLimit(string text, string option)
    {
        var t = text.Trim();
        if (t is "0" or "-1" || t.Equals("UNLIMITED", StringComparison.OrdinalIgnoreCase) || t.Equals("INFINITE", StringComparison.OrdinalIgnoreCase))
            return null;
        return TryParseSeconds(t) is { } s && s > 0
            ? s
            : throw new SlurmUsageException($"Invalid time limit specification '{text}' for {option}: use minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS");
    }

    public static int? TryParseSeconds(string text) => DurationParser.Seconds(text, twoPartsAreHoursMinutes: false);

    /// <summary>The wire form: <c>D-HH:MM:SS</c>, or UNLIMITED.</summary>
    public static string ToWire(int? seconds) => seconds is { } s ? Format(TimeSpan.FromSeconds(s), alwaysDays: true) : Unlimited;

    /// <summary>
    /// Slurm's display of a duration (squeue TIME, sacct Elapsed): <c>M:SS</c>, <c>H:MM:SS</c>,
    /// <c>D-HH:MM:SS</c> in squeue; sacct always shows <c>HH:MM:SS</c> (<paramref name="alwaysHours"/>).
    /// </summary>
    public static string Format(TimeSpan span, bool alwaysDays = false, bool alwaysHours = false)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        var days = (int)span.TotalDays;
        if (alwaysDays || days > 0)
            return string.Create(CultureInfo.InvariantCulture, $"{days}-{span.Hours:00}:{span.Minutes:00}:{span.Seconds:00}");
        if (alwaysHours || span.Hours > 0)
            return string.Create(CultureInfo.InvariantCulture, $"{(alwaysHours ? span.Hours.ToString("00", CultureInfo.InvariantCulture) : span.Hours.ToString(CultureInfo.InvariantCulture))}:{span.Minutes:00}:{span.Seconds:00}");
        return string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}:{span.Seconds:00}");
    }

    /// <summary>A duration as the API writes it (<c>D-HH:MM:SS</c>, <c>HH:MM:SS</c>, UNLIMITED); null when unreadable or unlimited.</summary>
    public static TimeSpan? ParseWire(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim();
        if (t.Contains(':') && !t.Contains('-') && t.Split(':').Length == 3)
            return TryParseSeconds(t) is { } hms ? TimeSpan.FromSeconds(hms) : null;
        if (t.Contains('-') && TryParseSeconds(t) is { } s) return TimeSpan.FromSeconds(s);
        return null;
    }
}
