using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Schedules;

/// <summary><c>GET /scheduled-jobs/{id}</c>.</summary>
internal static class GetScheduleEndpoint
{
    public static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> Handle(string id, ScheduleStore schedules, CancellationToken ct)
    {
        if (!long.TryParse(id, out var scheduleId) || await schedules.GetAsync(scheduleId, ct) is not { } schedule)
            return ScheduleView.NotFound(id);
        return TypedResults.Ok(ScheduleView.From(schedule));
    }
}
