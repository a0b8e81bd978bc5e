using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Schedules;

/// <summary><c>DELETE /scheduled-jobs/{id}</c>: stops future fires; jobs it already created are kept.</summary>
internal static class DeleteScheduleEndpoint
{
    public static async Task<Results<NoContent, ProblemHttpResult>> Handle(string id, ScheduleStore schedules, CancellationToken ct)
    {
        if (!long.TryParse(id, out var scheduleId) || !await schedules.DeleteAsync(scheduleId, ct)) return ScheduleView.NotFound(id);
        return TypedResults.NoContent();
    }
}
