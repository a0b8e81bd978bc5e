using Conductor.Api.Auth;
using Conductor.Api.Messaging;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Jobs;

/// <summary>
/// <c>POST /jobs/cancel/{id}</c>, idempotent: PENDING ends CANCELLED at once; RUNNING is marked
/// and its worker told, which signals the process group and records CANCELLED; a finished job
/// is left as it is and still answers 200.
/// </summary>
internal static class CancelEndpoint
{
    public sealed record Response(string Msg, string State);

    public static async Task<Results<Ok<Response>, ProblemHttpResult>> Handle(
        string id, Caller caller, JobAccess access, JobStore jobs, WakeUpPublisher wakeUps, CancellationToken ct)
    {
        if (await access.FindIdAsync(caller, id, ct) is not { } jobId) return Problems.JobNotFound(id);
        var state = await jobs.RequestCancelAsync(jobId, ct);
        if (state is null) return Problems.JobNotFound(id);
        var msg = state.Value switch
        {
            JobState.Cancelled => $"Job {id} is cancelled.",
            JobState.Running => $"Cancellation of job {id} requested; its processes are being stopped.",
            _ => $"Job {id} already finished as {state.Value.ToWire()}; nothing to cancel.",
        };
        if (state == JobState.Running) wakeUps.Cancel(jobId);
        return TypedResults.Ok(new Response(msg, state.Value.ToWire()));
    }
}
