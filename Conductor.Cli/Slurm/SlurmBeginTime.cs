using System.Globalization;
using System.Text.RegularExpressions;

namespace Conductor.Cli.Slurm;

/// <summary>
/// sbatch's <c>--begin</c> formats, in the submitter's local time: <c>now+60</c> (seconds),
/// <c>now+10minutes</c>/<c>hours</c>/<c>days</c>/<c>weeks</c>, <c>HH:MM[:SS]</c> (the next such
/// time), <c>midnight</c>, <c>noon</c>, <c>elevenses</c>, <c>fika</c>, <c>teatime</c>,
/// <c>today</c>, <c>tomorrow</c>, <c>YYYY-MM-DD[THH:MM[:SS]]</c>, <c>MM/DD[/YY]</c>.
/// The API is sent the instant in UTC (ISO 8601).
/// </summary>
internal static partial class SlurmBeginTime
{
    [GeneratedRegex(@"\Anow(?:(?<sign>[+-])(?<n>\d{1,9})(?<unit>[a-z]*))?\z", RegexOptions.IgnoreCase)]
    private static partial Regex Now();

    [GeneratedRegex(@"\A(?<h>\d{1,2}):(?<m>\d{2})(?::(?<s>\d{2}))?\s*(?<ampm>am|pm)?\z", RegexOptions.IgnoreCase)]
    private static partial Regex Clock();

    [GeneratedRegex(@"\A(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})(?:T(?<h>\d{2}):(?<m>\d{2})(?::(?<s>\d{2}))?)?\z")]
    private static partial Regex Iso();

    [GeneratedRegex(@"\A(?<mo>\d{1,2})/(?<d>\d{1,2})(?:/(?<y>\d{2}))?\z")]
    private static partial Regex UsDate();

    public static DateTimeOffset Parse(string text, DateTimeOffset now)
    {
        var t = text.Trim();
        var local = TimeZoneInfo.ConvertTime(now, TimeZoneInfo.Local);
        if (Now().Match(t) is { Success: true } n) return now.AddSeconds(n.Groups["n"].Success ? (n.Groups["sign"].Value == "-" ? -1 : 1) * Offset(n, text) : 0);
        if (Named(t.ToLowerInvariant()) is { } hour) return Next(local, new TimeSpan(hour, 0, 0));
        if (t.Equals("today", StringComparison.OrdinalIgnoreCase)) return At(local.Date);
        if (t.Equals("tomorrow", StringComparison.OrdinalIgnoreCase)) return At(local.Date.AddDays(1));
        if (Clock().Match(t) is { Success: true } c)
        {
            var h = int.Parse(c.Groups["h"].Value, CultureInfo.InvariantCulture);
            if (c.Groups["ampm"].Success) h = h % 12 + (c.Groups["ampm"].Value.Equals("pm", StringComparison.OrdinalIgnoreCase) ? 12 : 0);
            return Next(local, new TimeSpan(h, Int(c, "m"), c.Groups["s"].Success ? Int(c, "s") : 0), text);
        }
        if (Iso().Match(t) is { Success: true } iso)
            return At(Date(text, Int(iso, "y"), Int(iso, "mo"), Int(iso, "d"), iso.Groups["h"].Success ? Int(iso, "h") : 0,
                iso.Groups["m"].Success ? Int(iso, "m") : 0, iso.Groups["s"].Success ? Int(iso, "s") : 0));
        if (UsDate().Match(t) is { Success: true } us)
        {
            var year = us.Groups["y"].Success ? 2000 + Int(us, "y") : local.Year;
            var date = Date(text, year, Int(us, "mo"), Int(us, "d"), 0, 0, 0);
            return At(!us.Groups["y"].Success && date < local.Date ? date.AddYears(1) : date);
        }
        throw Bad(text);
    }

    private static int? Named(string word) => word switch
    {
        "midnight" => 0,
        "elevenses" => 11,
        "noon" => 12,
        "fika" => 15,
        "teatime" => 16,
        _ => null,
    };

    private static long Offset(Match m, string text)
    {
        var count = long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        var unit = m.Groups["unit"].Value.ToLowerInvariant();
        long scale = unit switch
        {
            "" or "s" or "sec" or "secs" or "second" or "seconds" => 1,
            "m" or "min" or "mins" or "minute" or "minutes" => 60,
            "h" or "hour" or "hours" => 3600,
            "d" or "day" or "days" => 86400,
            "w" or "week" or "weeks" => 7 * 86400,
            _ => throw Bad(text),
        };
        return count * scale;
    }

    private static DateTimeOffset Next(DateTimeOffset local, TimeSpan timeOfDay, string? text = null)
    {
        if (timeOfDay >= TimeSpan.FromDays(1)) throw Bad(text ?? timeOfDay.ToString());
        var at = local.Date + timeOfDay;
        return At(at <= local.DateTime ? at.AddDays(1) : at);
    }

    private static DateTimeOffset At(DateTime localTime) =>
        new(localTime, TimeZoneInfo.Local.GetUtcOffset(DateTime.SpecifyKind(localTime, DateTimeKind.Local)));

    private static DateTime Date(string text, int y, int mo, int d, int h, int m, int s)
    {
        try
        {
            return new DateTime(y, mo, d, h, m, s, DateTimeKind.Unspecified);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw Bad(text);
        }
    }

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    private static SlurmUsageException Bad(string text) =>
        new($"Invalid --begin time '{text}': use now+N[minutes|hours|days], HH:MM[:SS], YYYY-MM-DD[THH:MM[:SS]], MM/DD[/YY], midnight, noon, teatime, today or tomorrow");
}
