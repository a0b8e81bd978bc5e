using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Npgsql;

namespace Conductor.Core.Operations;

/// <summary>
/// The repairs that cannot make anything worse, in the order <see cref="ApplyAsync"/> runs them:
/// release allocations nobody runs under; declare nodes silent past a lease DOWN; fail the
/// RUNNING jobs of DOWN nodes as <c>NodeFail</c>, exactly as peer recovery would (DESIGN.md).
/// Each is a compare-and-set, so running them twice, or next to a live worker, is harmless.
/// Two RUNNING jobs sharing a core have no safe repair: that stays for a person.
/// </summary>
public sealed class SafeRepairs(NpgsqlDataSource db, JobStore jobs)
{
    public async Task<IReadOnlyList<RepairResult>> ApplyAsync(TimeSpan lease, CancellationToken ct)
    {
        var results = new List<RepairResult>
        {
            await ReleaseLeakedAllocationsAsync(dryRun: false, ct),
            await MarkSilentNodesDownAsync(lease, ct),
            await FailJobsOfDownNodesAsync(ct),
        };
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

    /// <summary>
    /// A node silent for longer than the lease is declared DOWN so nothing is claimed there and
    /// its jobs can be failed. Conditional on the heartbeat still being stale at the moment of
    /// the write, so a node that just came back keeps its UP.
    /// </summary>
    public async Task<RepairResult> MarkSilentNodesDownAsync(TimeSpan lease, CancellationToken ct)
    {
        var rows = await FindingQuery.FindingsAsync(db,
            "UPDATE nodes SET state = 'Down' WHERE state = 'Up' AND last_heartbeat < now() - @lease RETURNING name",
            ct, ("lease", lease));
        return Describe("mark_silent_nodes_down", rows, "marked DOWN", $"node(s) silent for longer than {Durations.Format(lease)}");
    }

    /// <summary>Goes through <see cref="JobStore.TransitionAsync"/>: pinned to the attempt, with its event and the release.</summary>
    public async Task<RepairResult> FailJobsOfDownNodesAsync(CancellationToken ct)
    {
        var failed = new List<string>();
        foreach (var (id, attempt, node) in await RunningOnDownNodesAsync(ct))
        {
            var moved = await jobs.TransitionAsync(new Transition(id, JobState.Running, JobState.Failed, JobReason.NodeFail)
            {
                ErrorMsg = $"Node {node} is DOWN; the job was failed by a health-check repair.",
                Attempt = attempt,
                Node = node,
            }, ct);
            if (moved) failed.Add($"job {id} on {node}");
        }
        return Describe("fail_jobs_of_down_nodes", failed, "failed as NodeFail", "RUNNING job(s) of DOWN nodes");
    }

    private async Task<List<(long Id, int Attempt, string Node)>> RunningOnDownNodesAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT j.id, j.attempt, j.node FROM jobs j JOIN nodes n ON n.name = j.node
            WHERE j.state = 'RUNNING' AND n.state = 'Down' ORDER BY j.id
            """);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<(long, int, string)>();
        while (await reader.ReadAsync(ct)) list.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2)));
        return list;
    }

    private static RepairResult Describe(string name, List<string> rows, string verb, string what) =>
        new(name, rows.Count, rows.Count == 0 ? $"nothing to do: no {what}"
            : $"{verb} {rows.Count} {what}: {string.Join("; ", rows.Take(10))}{(rows.Count > 10 ? "; ..." : "")}");
}
