using Cronos;

namespace Conductor.Core.Schedules;

/// <summary>
/// Cron parsing and fire-time rules (pure). Six fields means seconds first; five is standard
/// cron. Times are computed in the schedule's IANA zone, with DST handled as Cronos does
/// (a skipped local time fires at the jump, a repeated one fires once).
/// </summary>
public static class CronRules
{
    /// <summary>A due time older than this counts as missed (the scheduler was down), and the misfire policy applies.</summary>
    public static readonly TimeSpan MisfireThreshold = TimeSpan.FromSeconds(10);

    public static bool TryParse(string cron, out CronExpression? expression, out string error)
    {
        expression = null;
        error = "";
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            error = "'cron' must have 6 fields (seconds first) or 5 (standard cron).";
            return false;
        }
        try
        {
            expression = CronExpression.Parse(cron.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return true;
        }
        catch (CronFormatException e)
        {
            error = $"'cron' is not a valid cron expression: {e.Message}";
            return false;
        }
    }

    public static bool TryZone(string id, out TimeZoneInfo? zone)
    {
        zone = null;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    public static DateTime? Next(CronExpression cron, TimeZoneInfo zone, DateTime afterUtc) =>
        cron.GetNextOccurrence(DateTime.SpecifyKind(afterUtc, DateTimeKind.Utc), zone);

    /// <summary>
    /// What to do with a schedule whose fire time <paramref name="due"/> has come: the fire time
    /// to create a job for (null: none, a missed time under misfire "skip"), and the next fire
    /// time (all further missed times are dropped: at most one job for a stretch of downtime).
    /// </summary>
    public static (DateTime? FireAt, DateTime? Next) Advance(CronExpression cron, TimeZoneInfo zone, DateTime due, string misfire, DateTime now)
    {
        var missed = now - due > MisfireThreshold;
        var fireAt = missed && misfire == ScheduleMisfire.Skip ? (DateTime?)null : due;
        var next = Next(cron, zone, due);
        if (next is { } n && n <= now) next = Next(cron, zone, now);
        return (fireAt, next);
    }
}
