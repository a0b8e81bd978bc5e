using System.Text.Json;
using Conductor.Core.Schedules;

namespace Conductor.Api.Schedules;

/// <summary>A schedule as the API shows it; the job template is echoed as the JSON it was given.</summary>
internal sealed record ScheduleView(
    string Id, string Name, string Cron, string TimeZone, int Status, string Overlap, string Misfire,
    JsonElement JobTemplate, DateTime? NextFireTime, DateTime? LastFireTime, DateTime CreatedAt, DateTime UpdatedAt, string Account)
{
    public static ScheduleView From(Schedule s)
    {
        using var template = JsonDocument.Parse(s.JobTemplate);
        return new ScheduleView(s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Name, s.Cron, s.TimeZone, s.Status,
            s.Overlap, s.Misfire, template.RootElement.Clone(), s.NextFireTime, s.LastFireTime, s.CreatedAt, s.UpdatedAt, s.Account);
    }

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(detail: $"Schedule '{id}' does not exist.", statusCode: StatusCodes.Status404NotFound,
            title: "Unknown schedule.", extensions: new Dictionary<string, object?> { ["field"] = "id" });
}
