using Conductor.Api.Auth;
using Conductor.Api.Jobs;
using Conductor.Core.Jobs;
using Conductor.Core.Operations;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Stats;

/// <summary>
/// <c>GET /dashboard</c>: SCNS-Conductor's DashboardResponse (job_stats, resource_stats,
/// node_info, running_jobs, pending_jobs, key for key), plus Conductor's richer figures under
/// keys of their own (generated_at, window, summary, cluster, nodes, recent_jobs), from the same
/// database snapshot as /stats. Counts and nodes are cluster-wide; job rows are the caller's own
/// (every account's for an admin).
/// </summary>
internal static class DashboardEndpoint
{
    /// <summary>How many running and pending jobs the SCNS lists carry at most (newest first).</summary>
    public const int ListLimit = 100;

    public sealed record Response(
        DashboardScns.JobStats JobStats, DashboardScns.ResourceStats ResourceStats, IReadOnlyList<DashboardScns.NodeInfo> NodeInfo,
        IReadOnlyList<DashboardScns.JobSummary> RunningJobs, IReadOnlyList<DashboardScns.JobSummary> PendingJobs,
        DateTime GeneratedAt, string Window, Summary Summary, Utilisation Cluster, IReadOnlyList<NodeRow> Nodes, IReadOnlyList<RecentJob> RecentJobs);

    public sealed record Summary(long TotalJobs, long Pending, long Running, long Completed, long Failed, long Cancelled,
        long QueueDepth, double? SuccessRate, double? MeanRunTimeSeconds, double? P95RunTimeSeconds);

    public sealed record Utilisation(int Cpus, int UsedCpus, double Utilization);

    public sealed record NodeRow(string Name, string Partition, string State, int Cpus, int UsedCpus, double Utilization, DateTime LastHeartbeat);

    public sealed record RecentJob(string JobId, string Name, string State, string Reason, string Account, string? Node, int Cpus,
        DateTime SubmitTime, DateTime? StartTime, DateTime? EndTime);

    public static async Task<Results<Ok<Response>, ValidationProblem>> Handle(string? window, int? recent,
        Caller caller, ClusterStatistics stats, JobStore jobs, CancellationToken ct)
    {
        if (!StatsWindow.TryParse(window, out var span, out var problem)) return problem!;
        if (recent is < 1 or > 200) return Problems.Invalid("recent", "'recent' must be between 1 and 200.");
        var s = await stats.SnapshotAsync(span, ct);
        JobAccess.TryListAccount(caller, null, out var visible);
        var latest = await jobs.ListAsync(new JobFilter(null, visible, null, recent ?? 20, null), ct);
        var running = await jobs.ListAsync(new JobFilter(JobState.Running, visible, null, ListLimit, null), ct);
        var pending = await jobs.ListAsync(new JobFilter(JobState.Pending, visible, null, ListLimit, null), ct);

        long Count(JobState state) => s.JobsByState.GetValueOrDefault(state);
        var summary = new Summary(s.JobsByState.Values.Sum(), Count(JobState.Pending), Count(JobState.Running), Count(JobState.Completed),
            Count(JobState.Failed), Count(JobState.Cancelled), s.QueueDepth, StatsEndpoint.Round(s.Window.SuccessRate, 4),
            StatsEndpoint.Round(s.Window.MeanRunSeconds, 3), StatsEndpoint.Round(s.Window.P95RunSeconds, 3));
        int total = s.Nodes.Sum(n => n.CoresTotal), used = s.Nodes.Sum(n => n.CoresUsed);
        return TypedResults.Ok(new Response(
            DashboardScns.Stats(s), DashboardScns.Resources(s), s.Nodes.Select(DashboardScns.Node).ToList(),
            running.Select(DashboardScns.Job).ToList(), pending.Select(DashboardScns.Job).ToList(),
            s.At, Durations.Format(span), summary, new Utilisation(total, used, Ratio(used, total)),
            s.Nodes.Select(n => new NodeRow(n.Name, n.Partition, n.State, n.CoresTotal, n.CoresUsed, Ratio(n.CoresUsed, n.CoresTotal), n.LastHeartbeat)).ToList(),
            latest.Select(j => new RecentJob(JobView.Id(j.Id), j.Name ?? $"job-{j.Id}", j.State.ToWire(), j.Reason, j.Account, j.Node, j.Cpus,
                j.SubmitTime, j.StartTime, j.EndTime)).ToList()));
    }

    private static double Ratio(int used, int total) => total == 0 ? 0 : Math.Round((double)used / total, 4);
}
