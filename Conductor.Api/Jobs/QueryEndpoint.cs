using Conductor.Api.Auth;
using Conductor.Api.Output;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Jobs;

/// <summary><c>GET /jobs/query/{id}</c>: state, times, both outputs (SCNS's rule, <see cref="ScnsLog"/>), and details.</summary>
internal static class QueryEndpoint
{
    public static async Task<Results<Ok<JobView>, ProblemHttpResult>> Handle(
        string id, Caller caller, JobAccess access, JobStore jobs, IOptions<ApiOptions> options, TimeProvider clock,
        JobOutput output, CancellationToken ct)
    {
        // One round trip for the job and its cores; a PENDING job costs a second one for its wait reason.
        var status = await access.FindStatusAsync(caller, id, ct);
        if (status is null) return Problems.JobNotFound(id);
        var job = status.Job;
        job.Reason = await jobs.WaitReasonAsync(job, ct);
        var tail = options.Value.LogTailBytes;
        var stdout = await ScnsLog.ReadAsync(output, job, "stdout", tail, ct);
        var stderr = await ScnsLog.ReadAsync(output, job, "stderr", tail, ct);
        var logs = new JobView.Logs(stdout.Text, stderr.Text, Withheld(stdout.Withheld, stderr.Withheld));
        return TypedResults.Ok(JobView.From(job, status.LatestCpuIds, logs, clock.GetUtcNow().UtcDateTime, options.Value.DataDir ?? "./data", status.LatestGpuIds));
    }

    /// <summary>Why output is missing from job_log (null when nothing was withheld; "the job has not run yet" is no news).</summary>
    private static string? Withheld(string? stdout, string? stderr)
    {
        var parts = new[] { ("stdout", stdout), ("stderr", stderr) }.Where(p => p.Item2 is { } w && w != Core.Files.OutputFile.NotStarted)
            .Select(p => $"{p.Item1}: {p.Item2}").ToList();
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }
}
