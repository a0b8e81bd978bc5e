using Conductor.Api.Auth;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Jobs;

/// <summary><c>GET /jobs/query/{id}</c>: state, times, the tail of both outputs, and details.</summary>
internal static class QueryEndpoint
{
    public static async Task<Results<Ok<JobView>, ProblemHttpResult>> Handle(
        string id, Caller caller, JobAccess access, JobStore jobs, IOptions<ApiOptions> options, TimeProvider clock, CancellationToken ct)
    {
        // One round trip for the job and its cores; a PENDING job costs a second one for its wait reason.
        var status = await access.FindStatusAsync(caller, id, ct);
        if (status is null) return Problems.JobNotFound(id);
        var job = status.Job;
        job.Reason = await jobs.WaitReasonAsync(job, ct);
        var tail = options.Value.LogTailBytes;
        var logs = new JobView.Logs(await LogTail.ReadAsync(job.StdoutPath, tail, ct), await LogTail.ReadAsync(job.StderrPath, tail, ct));
        return TypedResults.Ok(JobView.From(job, status.LatestCpuIds, logs, clock.GetUtcNow().UtcDateTime));
    }
}
