using Conductor.Api.Auth;
using Conductor.Api.Jobs;
using Conductor.Core.Jobs;
using Conductor.Core.Operations;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Stats;

/// <summary>
/// <c>GET /dashboard</c>: the data of SCNS-Conductor's dashboard page in one answer — totals by
/// state, cluster and per-node utilisation, and the most recent jobs — from the same database
/// snapshot logic as /stats.
/// </summary>
internal static class DashboardEndpoint
{
    public sealed record Summary(long TotalJobs, long Pending, long Running, long Completed, long Failed, long Cancelled,
        long QueueDepth, double? SuccessRate, double? MeanRunTimeSeconds, double? P95RunTimeSeconds);

    public sealed record Utilisation(int Cpus, int UsedCpus, double Utilization);

    public sealed record NodeRow(string Name, string Partition, string State, int Cpus, int UsedCpus, double Utilization, DateTime LastHeartbeat);

    public sealed record RecentJob(string JobId, string Name, string State, string Reason, string Account, string? Node, int Cpus,
        DateTime SubmitTime, DateTime? StartTime, DateTime? EndTime);

    public sealed record Response(DateTime GeneratedAt, string Window, Summary Summary, Utilisation Cluster,
        IReadOnlyList<NodeRow> Nodes, IReadOnlyList<RecentJob> RecentJobs);

    public static async Task<Results<Ok<Response>, ValidationProblem>> Handle(string? window, int? recent,
        Caller caller, ClusterStatistics stats, JobStore jobs, CancellationToken ct)
    {
        if (!StatsWindow.TryParse(window, out var span, out var problem)) return problem!;
        if (recent is < 1 or > 200) return Problems.Invalid("recent", "'recent' must be between 1 and 200.");
        var s = await stats.SnapshotAsync(span, ct);
        // Counts are cluster-wide; the job rows only the caller's own (all for admins).
        JobAccess.TryListAccount(caller, null, out var visible);
        var latest = await jobs.ListAsync(new JobFilter(null, visible, null, recent ?? 20, null), ct);
        long Count(JobState state) => s.JobsByState.GetValueOrDefault(state);
        var summary = new Summary(s.JobsByState.Values.Sum(), Count(JobState.Pending), Count(JobState.Running), Count(JobState.Completed),
            Count(JobState.Failed), Count(JobState.Cancelled), s.QueueDepth, StatsEndpoint.Round(s.Window.SuccessRate, 4),
            StatsEndpoint.Round(s.Window.MeanRunSeconds, 3), StatsEndpoint.Round(s.Window.P95RunSeconds, 3));
        int total = s.Nodes.Sum(n => n.CoresTotal), used = s.Nodes.Sum(n => n.CoresUsed);
        return TypedResults.Ok(new Response(s.At, Durations.Format(span), summary, new Utilisation(total, used, Ratio(used, total)),
            s.Nodes.Select(n => new NodeRow(n.Name, n.Partition, n.State, n.CoresTotal, n.CoresUsed, Ratio(n.CoresUsed, n.CoresTotal), n.LastHeartbeat)).ToList(),
            latest.Select(j => new RecentJob(JobView.Id(j.Id), j.Name ?? $"job-{j.Id}", j.State.ToWire(), j.Reason, j.Account, j.Node, j.Cpus,
                j.SubmitTime, j.StartTime, j.EndTime)).ToList()));
    }

    private static double Ratio(int used, int total) => total == 0 ? 0 : Math.Round((double)used / total, 4);
}
