using Conductor.Api.Auth;
using Conductor.Api.Messaging;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Jobs;

/// <summary>
/// <c>POST /jobs/resubmit/{id}</c>: a new PENDING job with the same script and settings as a
/// finished one. The old job is left untouched (terminal states never change); a job that has
/// not finished yet answers 409, since running it twice at once is rarely what anyone meant.
/// </summary>
internal static class ResubmitEndpoint
{
    public static async Task<Results<Created<SubmitEndpoint.Response>, ProblemHttpResult>> Handle(
        string id, HttpRequest request, Caller caller, JobAccess access, JobStore jobs, WakeUpPublisher wakeUps, CancellationToken ct)
    {
        var job = await access.FindAsync(caller, id, ct);
        if (job is null) return Problems.JobNotFound(id);
        if (!job.State.IsTerminal())
            return TypedResults.Problem(
                detail: $"Job {id} is {job.State.ToWire()}; only a finished job (COMPLETED, FAILED or CANCELLED) can be resubmitted.",
                statusCode: StatusCodes.Status409Conflict, title: "The job has not finished.",
                extensions: new Dictionary<string, object?> { ["field"] = "id", ["state"] = job.State.ToWire() });

        // The copy comes from where the resubmit request came from.
        var copy = JobSpec.CopyOf(job) with { DataSource = DataSources.FromHeader(request.Headers[DataSources.Header]) };
        var ids = await jobs.SubmitAsync([copy], ct);
        wakeUps.Submitted(job.Partition);
        var newId = JobView.Id(ids[0]);
        return TypedResults.Created($"/jobs/query/{newId}", new SubmitEndpoint.Response(newId));
    }
}
