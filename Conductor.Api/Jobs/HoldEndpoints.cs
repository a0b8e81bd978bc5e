using Conductor.Api.Auth;
using Conductor.Api.Messaging;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Jobs;

/// <summary>
/// <c>POST /jobs/{id}/hold</c>, <c>/release</c>, <c>/requeue</c>: Slurm's scontrol hold, uhold,
/// release and requeue, each idempotent, each an event row naming who asked. An admin's hold is
/// an admin hold (a user cannot release it); anyone else's a user hold. Another account's job is a 404.
/// </summary>
internal static class HoldEndpoints
{
    public sealed record Response(string JobId, string Msg, string State, string? Hold);

    public static async Task<Results<Ok<Response>, ValidationProblem, ProblemHttpResult>> Hold(
        string id, string? kind, Caller caller, JobAccess access, JobStore jobs, CancellationToken ct)
    {
        kind ??= caller.IsAdmin ? HoldKinds.Admin : HoldKinds.User;
        if (kind is not (HoldKinds.User or HoldKinds.Admin)) return Problems.Invalid("kind", "'kind' must be user or admin.");
        if (kind == HoldKinds.Admin && !caller.IsAdmin) return Forbidden("kind", "Only admin tokens may place an admin hold.");
        if (await access.FindIdAsync(caller, id, ct) is not { } jobId) return Problems.JobNotFound(id);
        var result = await jobs.HoldAsync(jobId, kind, Who(caller), ct);
        return result switch
        {
            JobActionResult.Done => Ok(id, $"Job {id} is held ({kind} hold).", JobState.Pending, kind),
            JobActionResult.Unchanged => Ok(id, $"Job {id} was already held.", JobState.Pending, null),
            JobActionResult.WrongState => NotPending(id, "held"),
            _ => Problems.JobNotFound(id),
        };
    }

    public static async Task<Results<Ok<Response>, ValidationProblem, ProblemHttpResult>> Release(
        string id, Caller caller, JobAccess access, JobStore jobs, WakeUpPublisher wakeUps, CancellationToken ct)
    {
        if (await access.FindIdAsync(caller, id, ct) is not { } jobId) return Problems.JobNotFound(id);
        var result = await jobs.ReleaseAsync(jobId, caller.IsAdmin, Who(caller), ct);
        switch (result)
        {
            case JobActionResult.Done:
                if (await jobs.GetStatusAsync(jobId, ct) is { } released) wakeUps.Submitted(released.Job.Partition);
                return Ok(id, $"Job {id} is released; it keeps its place in the queue.", JobState.Pending, null);
            case JobActionResult.Unchanged:
                return Ok(id, $"Job {id} was not held.", JobState.Pending, null);
            case JobActionResult.AdminHold:
                return Forbidden("id", $"Job {id} is under an admin hold; only an admin may release it.");
            case JobActionResult.WrongState:
                return NotPending(id, "released");
            default:
                return Problems.JobNotFound(id);
        }
    }

    public static async Task<Results<Ok<Response>, ValidationProblem, ProblemHttpResult>> Requeue(
        string id, Caller caller, JobAccess access, JobStore jobs, WakeUpPublisher wakeUps, CancellationToken ct)
    {
        if (await access.FindIdAsync(caller, id, ct) is not { } jobId) return Problems.JobNotFound(id);
        var result = await jobs.RequestRequeueAsync(jobId, Who(caller), ct);
        if (result is JobActionResult.Done or JobActionResult.Unchanged) wakeUps.Cancel(jobId);
        return result switch
        {
            JobActionResult.Done => Ok(id, $"Requeue of job {id} requested; its processes are being killed and it goes back in line as a new attempt.",
                JobState.Running, null),
            JobActionResult.Unchanged => Ok(id, $"Job {id} is already being stopped.", JobState.Running, null),
            JobActionResult.WrongState => TypedResults.Problem(
                detail: $"Only a RUNNING job can be requeued; a PENDING one is already in line, and a finished one is resubmitted " +
                        $"(POST /jobs/resubmit/{id} or POST /jobs/requeue).",
                statusCode: StatusCodes.Status409Conflict, title: "The job is not running.", extensions: Field("id")),
            _ => Problems.JobNotFound(id),
        };
    }

    /// <summary>Who did it, as the event row tells it.</summary>
    internal static string Who(Caller caller) => caller.IsAdmin ? $"admin ({caller.Account})" : $"account {caller.Account}";

    internal static ProblemHttpResult Forbidden(string field, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.", extensions: Field(field));

    internal static Dictionary<string, object?> Field(string field) => new() { ["field"] = field };

    private static ProblemHttpResult NotPending(string id, string what) =>
        TypedResults.Problem(detail: $"Only a PENDING job can be {what}; job {id} has started or ended.",
            statusCode: StatusCodes.Status409Conflict, title: "The job is not pending.", extensions: Field("id"));

    private static Ok<Response> Ok(string id, string msg, JobState state, string? hold) => TypedResults.Ok(new Response(id, msg, state.ToWire(), hold));
}
