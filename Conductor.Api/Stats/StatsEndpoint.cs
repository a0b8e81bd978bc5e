using Conductor.Core.Jobs;
using Conductor.Core.Operations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Stats;

/// <summary>
/// <c>GET /stats?window=24h</c>: counts by state, queue depth, cores per node, and success rate
/// and mean/p95 run time of the jobs that finished inside the window. Every figure is aggregated
/// by PostgreSQL from the rows at request time (one snapshot), never kept as a counter.
/// </summary>
internal static class StatsEndpoint
{
    public sealed record Cores(int Total, int Used);

    public sealed record NodeCores(string Name, string Partition, string State, int CoresTotal, int CoresUsed);

    public sealed record Finished(long Completed, long Failed, long Cancelled, long Total);

    public sealed record Response(DateTime GeneratedAt, string Window, IReadOnlyDictionary<string, long> JobsByState, long TotalJobs,
        long QueueDepth, Cores Cores, IReadOnlyList<NodeCores> Nodes, Finished FinishedInWindow, double? SuccessRate,
        double? MeanRunTimeSeconds, double? P95RunTimeSeconds);

    public static async Task<Results<Ok<Response>, ValidationProblem>> Handle(string? window, ClusterStatistics stats, CancellationToken ct)
    {
        if (!StatsWindow.TryParse(window, out var span, out var problem)) return problem!;
        var s = await stats.SnapshotAsync(span, ct);
        var w = s.Window;
        return TypedResults.Ok(new Response(
            s.At, Durations.Format(span),
            s.JobsByState.ToDictionary(kv => kv.Key.ToWire(), kv => kv.Value), s.JobsByState.Values.Sum(), s.QueueDepth,
            new Cores(s.Nodes.Sum(n => n.CoresTotal), s.Nodes.Sum(n => n.CoresUsed)),
            s.Nodes.Select(n => new NodeCores(n.Name, n.Partition, n.State, n.CoresTotal, n.CoresUsed)).ToList(),
            new Finished(w.Completed, w.Failed, w.Cancelled, w.Finished),
            Round(w.SuccessRate, 4), Round(w.MeanRunSeconds, 3), Round(w.P95RunSeconds, 3)));
    }

    internal static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;
}
