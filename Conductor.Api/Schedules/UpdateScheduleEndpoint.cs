using Conductor.Api.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Schedules;

/// <summary>
/// <c>PATCH /scheduled-jobs/{id}</c>: changes the given fields; the next fire time is computed
/// afresh from now, so enabling a paused schedule does not fire the times it was paused for.
/// </summary>
internal static class UpdateScheduleEndpoint
{
    public static async Task<Results<Ok<ScheduleView>, ValidationProblem, ProblemHttpResult>> Handle(
        string id, HttpRequest request, ScheduleStore schedules, IOptions<ApiOptions> options, CancellationToken ct)
    {
        if (!long.TryParse(id, out var scheduleId)) return ScheduleView.NotFound(id);
        var errors = new FieldErrors();
        using var body = await RequestBody.ReadAsync(request, options.Value.EffectiveMaxBodyBytes, errors, ct);
        if (body is null) return errors.TooLarge ? Problems.TooLarge(errors) : Problems.Invalid(errors);
        var apply = ScheduleBody.Parse(body.RootElement, options.Value, errors);
        if (apply is null) return Problems.Invalid(errors);
        var updated = await schedules.UpdateAsync(scheduleId, apply, ct);
        return updated is null ? ScheduleView.NotFound(id) : TypedResults.Ok(ScheduleView.From(updated));
    }
}
