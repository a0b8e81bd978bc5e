using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Schedules;

/// <summary><c>GET /scheduled-jobs</c>: every schedule, oldest first.</summary>
internal static class ListSchedulesEndpoint
{
    public sealed record Response(IReadOnlyList<ScheduleView> ScheduledJobs);

    public static async Task<Ok<Response>> Handle(ScheduleStore schedules, CancellationToken ct) =>
        TypedResults.Ok(new Response((await schedules.ListAsync(ct)).Select(ScheduleView.From).ToList()));
}
