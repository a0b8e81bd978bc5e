using System.Globalization;
using Conductor.Core.Jobs;
using Conductor.Core.Operations;

namespace Conductor.Api.Stats;

/// <summary>
/// The parts of <c>GET /dashboard</c> that SCNS-Conductor's dashboard defines
/// (<c>api/schemas/dashboard.py</c>): the same keys, types and units (utilization_rate in
/// percent, rounded to two decimals; job_id an integer; times ISO 8601 strings).
/// </summary>
internal static class DashboardScns
{
    public sealed record JobStats(long Total, long Running, long Pending, long Completed, long Failed, long Cancelled);

    public sealed record ResourceStats(int TotalCpus, int AllocatedCpus, int AvailableCpus, double UtilizationRate);

    public sealed record NodeInfo(string NodeName, string Partition, int TotalCpus, int AllocatedCpus, int AvailableCpus,
        bool Available, double UtilizationRate);

    public sealed record JobSummary(long JobId, string Name, string Account, string State, int AllocatedCpus,
        string SubmitTime, string? StartTime);

    public static JobStats Stats(ClusterSnapshot s)
    {
        long Count(JobState state) => s.JobsByState.GetValueOrDefault(state);
        return new JobStats(s.JobsByState.Values.Sum(), Count(JobState.Running), Count(JobState.Pending), Count(JobState.Completed),
            Count(JobState.Failed), Count(JobState.Cancelled));
    }

    /// <summary>Cores of nodes that are up (a down node offers none); allocated counts every node's held cores.</summary>
    public static ResourceStats Resources(ClusterSnapshot s)
    {
        var total = s.Nodes.Where(IsUp).Sum(n => n.CoresTotal);
        var allocated = s.Nodes.Sum(n => n.CoresUsed);
        var available = Math.Max(0, total - s.Nodes.Where(IsUp).Sum(n => n.CoresUsed));
        return new ResourceStats(total, allocated, available, Percent(allocated, total));
    }

    public static NodeInfo Node(NodeUsage n) =>
        new(n.Name, n.Partition, n.CoresTotal, n.CoresUsed, IsUp(n) ? Math.Max(0, n.CoresTotal - n.CoresUsed) : 0, IsUp(n),
            Percent(n.CoresUsed, n.CoresTotal));

    public static JobSummary Job(Job j) =>
        new(j.Id, j.Name ?? $"job-{j.Id}", j.Account, j.State.ToWire(), j.Cpus, Time(j.SubmitTime), j.StartTime is { } t ? Time(t) : null);

    /// <summary>The same text the query endpoint's times serialise to (ISO 8601, UTC, with its Z).</summary>
    private static string Time(DateTime t) =>
        DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static bool IsUp(NodeUsage n) => n.State == "UP";

    private static double Percent(int used, int total) => total == 0 ? 0 : Math.Round(100.0 * used / total, 2);
}
