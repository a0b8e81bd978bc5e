using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Jobs;

/// <summary><c>GET /jobs/query/{id}</c>: state, times, the tail of both outputs, and details.</summary>
internal static class QueryEndpoint
{
    public static async Task<Results<Ok<JobView>, ProblemHttpResult>> Handle(
        string id, JobStore jobs, IOptions<ApiOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (!long.TryParse(id, out var jobId)) return Problems.JobNotFound(id);
        var job = await jobs.GetAsync(jobId, ct);
        if (job is null) return Problems.JobNotFound(id);
        job.Reason = await jobs.WaitReasonAsync(job, ct);
        var allocation = job.Attempt > 0 ? await jobs.GetLatestAllocationAsync(jobId, ct) : null;
        var tail = options.Value.LogTailBytes;
        var logs = new JobView.Logs(await LogTail.ReadAsync(job.StdoutPath, tail, ct), await LogTail.ReadAsync(job.StderrPath, tail, ct));
        return TypedResults.Ok(JobView.From(job, allocation, logs, clock.GetUtcNow().UtcDateTime));
    }
}
