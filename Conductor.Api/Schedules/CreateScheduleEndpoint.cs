using Conductor.Api.Jobs;
using Conductor.Core.Schedules;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Schedules;

/// <summary><c>POST /scheduled-jobs</c>: a new schedule (enabled, UTC, overlap allow, misfire fire_once unless told).</summary>
internal static class CreateScheduleEndpoint
{
    public static async Task<Results<Created<ScheduleView>, ValidationProblem, ProblemHttpResult>> Handle(
        HttpRequest request, Auth.Caller caller, ScheduleStore schedules, IOptions<ApiOptions> options, CancellationToken ct)
    {
        var errors = new FieldErrors();
        using var body = await RequestBody.ReadAsync(request, options.Value.EffectiveMaxBodyBytes, errors, ct);
        if (body is null) return errors.TooLarge ? Problems.TooLarge(errors) : Problems.Invalid(errors);
        var apply = ScheduleBody.ParseCreate(body.RootElement, options.Value, errors);
        if (apply is null) return Problems.Invalid(errors);
        // Its jobs run under its creator's account (unless the template names one), not 'default'.
        var schedule = new Schedule { Account = caller.Account.Length > 0 ? caller.Account : Auth.Caller.AnonymousAccount };
        apply(schedule);
        if (schedule.Name.Length == 0) schedule.Name = $"schedule-{Guid.NewGuid():N}"[..17];
        schedule = await schedules.CreateAsync(schedule, ct);
        return TypedResults.Created($"/scheduled-jobs/{schedule.Id}", ScheduleView.From(schedule));
    }
}
