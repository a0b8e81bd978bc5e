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
        var job = await access.FindAsync(caller, id, ct);
        if (job is null) return Problems.JobNotFound(id);
        job.Reason = await jobs.WaitReasonAsync(job, ct);
        var allocation = job.Attempt > 0 ? await jobs.GetLatestAllocationAsync(job.Id, ct) : null;
        var tail = options.Value.LogTailBytes;
        var logs = new JobView.Logs(await LogTail.ReadAsync(job.StdoutPath, tail, ct), await LogTail.ReadAsync(job.StderrPath, tail, ct));
        return TypedResults.Ok(JobView.From(job, allocation, logs, clock.GetUtcNow().UtcDateTime));
    }
}
