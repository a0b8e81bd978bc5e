using Conductor.Api.Auth;
using System.Text.Json;
using Conductor.Api.Jobs;
using Conductor.Core.Schedules;

namespace Conductor.Api.Schedules;

/// <summary>
/// Reads a schedule body (<c>name, cron, time_zone, status, overlap, misfire, job_template</c>)
/// into a change to apply; every field is optional here, and <see cref="ParseCreate"/> also
/// insists on the ones a new schedule needs. Errors name the field.
/// </summary>
internal static class ScheduleBody
{
    public static Action<Schedule>? ParseCreate(JsonElement root, ApiOptions limits, FieldErrors errors)
    {
        if (root.ValueKind == JsonValueKind.Object)
            foreach (var required in new[] { "cron", "job_template" })
                if (!root.TryGetProperty(required, out var v) || v.ValueKind == JsonValueKind.Null)
                    errors.Add(required, $"'{required}' is required.");
        return Parse(root, limits, errors);
    }

    public static Action<Schedule>? Parse(JsonElement root, ApiOptions limits, FieldErrors errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "The request body must be a JSON object.");
            return null;
        }
        var f = new JsonFields(root, "", errors);
        var name = f.String("name", 256);
        if (name is not null && name.Any(char.IsControl)) errors.Add("name", "'name' must not contain control characters.");
        var cron = f.String("cron", 256);
        Cronos.CronExpression? expression = null;
        if (cron is not null && !CronRules.TryParse(cron, out expression, out var cronError)) errors.Add("cron", cronError);
        else if (expression is not null && CronRules.Next(expression, TimeZoneInfo.Utc, DateTime.UtcNow) is null)
            errors.Add("cron", $"'cron' ({cron}) never fires: no date matches it (such as the 30th of February).");
        var zone = f.String("time_zone", 64);
        if (zone is not null && !CronRules.TryZone(zone, out _)) errors.Add("time_zone", $"'{zone}' is not a known IANA time zone.");
        var status = f.Int("status", 0, 2);
        var overlap = OneOf(f, "overlap", errors, ScheduleOverlap.Allow, ScheduleOverlap.Skip);
        var misfire = OneOf(f, "misfire", errors, ScheduleMisfire.FireOnce, ScheduleMisfire.Skip);
        var template = ParseTemplate(root, limits, errors);
        if (errors.Any) return null;
        return s =>
        {
            if (name is not null) s.Name = name;
            if (cron is not null) s.Cron = cron.Trim();
            if (zone is not null) s.TimeZone = zone;
            if (status is not null) s.Status = status.Value;
            if (overlap is not null) s.Overlap = overlap;
            if (misfire is not null) s.Misfire = misfire;
            if (template is not null) s.JobTemplate = template;
        };
    }

    private static string? OneOf(JsonFields f, string field, FieldErrors errors, params string[] allowed)
    {
        var value = f.String(field, 32);
        if (value is null || allowed.Contains(value)) return value;
        errors.Add(field, $"'{field}' must be one of {string.Join(", ", allowed)}.");
        return null;
    }

    /// <summary>The template is a submit body, validated exactly as POST /jobs/submit would (arrays excepted).</summary>
    private static string? ParseTemplate(JsonElement root, ApiOptions limits, FieldErrors errors)
    {
        if (!root.TryGetProperty("job_template", out var template) || template.ValueKind == JsonValueKind.Null) return null;
        var spec = SubmitParser.Parse(template, "job_template", limits, Caller.Scheduler, errors);
        if (spec?.Array is not null) errors.Add("job_template.job.array", "A schedule's job template cannot be a job array.");
        return spec is null ? null : template.GetRawText();
    }
}
