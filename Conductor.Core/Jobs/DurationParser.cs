using System.Globalization;

namespace Conductor.Core.Jobs;

/// <summary>
/// The one reader of <c>[days-]a[:b[:c]]</c> durations, compiled into Conductor.Core and, linked,
/// into Conductor.Cli (which has no reference to Core). Slurm and SCNS read every form alike but
/// one: two parts without days are minutes:seconds to Slurm and hours:minutes to SCNS.
/// </summary>
internal static class DurationParser
{
    /// <summary>A limit that cannot overflow anything downstream (one year).</summary>
    public const int MaxSeconds = 366 * 24 * 3600;

    /// <returns>The duration in seconds, or null when the text is not such a duration or exceeds <see cref="MaxSeconds"/>.</returns>
    public static int? Seconds(string text, bool twoPartsAreHoursMinutes)
    {
        long days = 0;
        var rest = text.Trim();
        var dash = rest.IndexOf('-');
        var hasDays = dash >= 0;
        if (hasDays)
        {
            if (!TryPart(rest[..dash], out days)) return null;
            rest = rest[(dash + 1)..];
        }
        var parts = rest.Split(':');
        if (parts.Length > 3) return null;
        var v = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!TryPart(parts[i], out v[i])) return null;

        var total = (hasDays, v.Length) switch
        {
            (false, 1) => v[0] * 60,                                         // minutes
            (false, 2) when twoPartsAreHoursMinutes => v[0] * 3600 + v[1] * 60, // SCNS: hours:minutes
            (false, 2) => v[0] * 60 + v[1],                                  // Slurm: minutes:seconds
            (true, 1) => v[0] * 3600,                                        // days-hours
            (true, 2) => v[0] * 3600 + v[1] * 60,                            // days-hours:minutes
            _ => v[0] * 3600 + v[1] * 60 + v[2],                             // [days-]hours:minutes:seconds
        } + days * 86400;
        return total <= MaxSeconds ? (int)total : null;
    }

    private static bool TryPart(string part, out long value) =>
        long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out value) && part.Length <= 9;
}
