using Conductor.Core.Jobs;
using Conductor.Core.Nodes;
using Npgsql;

namespace Conductor.Core.Operations;

/// <summary>
/// The repairs that cannot make anything worse, in the order <see cref="ApplyAsync"/> runs them:
/// release allocations nobody runs under; then one pass of the node reaper, the same every API
/// and worker runs (<see cref="NodeReaper"/>): nodes silent past the lease are declared DOWN and
/// the RUNNING jobs of DOWN nodes end as <c>NodeFail</c> (docs/architecture.md, "Recover"). Like
/// every reaper it judges nobody right after a PostgreSQL outage, when no node could heartbeat.
/// Each is a compare-and-set, so running them twice, or next to a live worker, is harmless.
/// Two RUNNING jobs sharing a core have no safe repair: that stays for a person.
/// </summary>
public sealed class SafeRepairs(NpgsqlDataSource db, NodeReaper reaper)
{
    public async Task<IReadOnlyList<RepairResult>> ApplyAsync(TimeSpan lease, CancellationToken ct)
    {
        var released = await ReleaseLeakedAllocationsAsync(dryRun: false, ct);
        var reaped = await reaper.ReapAsync(lease, ct);
        List<RepairResult> results =
        [
            released,
            Describe("mark_silent_nodes_down", [.. reaped.NodesMarkedDown], "marked DOWN", $"node(s) silent for longer than {Durations.Format(lease)}"),
            Describe("fail_jobs_of_down_nodes", reaped.Jobs.Select(j => $"job {j.JobId} on {j.Node}{(j.MovedTo == JobState.Pending ? " (to be retried)" : "")}").ToList(),
                "failed as NodeFail", "RUNNING job(s) of DOWN nodes"),
        ];
        return results.Where(r => r.Count > 0).ToList();
    }

    /// <summary>
    /// Releases active allocations whose job is not RUNNING in the allocation's attempt (or no
    /// longer exists). A claim inserts the RUNNING job and its allocation in one statement, so a
    /// fresh claim is never mistaken for a leak.
    /// </summary>
    public async Task<RepairResult> ReleaseLeakedAllocationsAsync(bool dryRun, CancellationToken ct)
    {
        const string leaked = """
            a.released_at IS NULL AND NOT EXISTS (
                SELECT 1 FROM jobs j WHERE j.id = a.job_id AND j.state = 'RUNNING' AND j.attempt = a.attempt)
            """;
        var sql = dryRun
            ? $"SELECT format('job %s on %s', a.job_id, a.node) FROM allocations a WHERE {leaked}"
            : $"UPDATE allocations a SET released_at = now() WHERE {leaked} RETURNING format('job %s on %s', a.job_id, a.node)";
        var rows = await FindingQuery.FindingsAsync(db, sql, ct);
        return Describe("release_leaked_allocations", rows, dryRun ? "would release" : "released", "leaked allocation(s)");
    }

    private static RepairResult Describe(string name, List<string> rows, string verb, string what) =>
        new(name, rows.Count, rows.Count == 0 ? $"nothing to do: no {what}"
            : $"{verb} {rows.Count} {what}: {string.Join("; ", rows.Take(10))}{(rows.Count > 10 ? "; ..." : "")}");
}
