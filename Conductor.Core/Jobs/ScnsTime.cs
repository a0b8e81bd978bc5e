using System.Globalization;

namespace Conductor.Core.Jobs;

/// <summary>
/// SCNS-Conductor's reading of a time limit, the one its clients rely on: <c>30</c> = 30 minutes,
/// <c>2:30</c> = 2 hours 30 minutes (not Slurm's minutes:seconds), <c>1:30:00</c> = H:MM:SS,
/// <c>2-12</c>, <c>2-12:30</c>, <c>2-12:30:00</c> = days-hours[:minutes[:seconds]]; plus
/// <c>UNLIMITED</c>/<c>INFINITE</c> and <c>0</c> for no limit. Seconds are kept (SCNS drops
/// them). Slurm's own reading (<see cref="SlurmTime"/>) belongs to the CLI and #SBATCH lines;
/// the two agree on every <c>D-HH:MM:SS</c> string, which is what the CLI sends.
/// </summary>
public static class ScnsTime
{
    /// <returns>true with <paramref name="seconds"/> null for "no limit".</returns>
    public static bool TryParseSeconds(string? text, out int? seconds) =>
        SlurmTime.TryParse(text, twoPartsAreHoursMinutes: true, out seconds);

    /// <summary>SCNS's <c>limit_time</c>: <c>H:MM:SS</c>, <c>D-HH:MM:SS</c> from a day on, <c>UNLIMITED</c> for none.</summary>
    public static string FormatLimit(int? seconds)
    {
        if (seconds is not { } s || s <= 0) return "UNLIMITED";
        var span = TimeSpan.FromSeconds(s);
        return span.Days > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{span.Days}-{span.Hours:00}:{span.Minutes:00}:{span.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{span.Hours}:{span.Minutes:00}:{span.Seconds:00}");
    }
}
