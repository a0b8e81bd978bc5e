using Conductor.Core.Jobs;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// Why a PENDING job waits right now, as Slurm words it: <c>Dependency</c> while an edge is
    /// unsatisfied, <c>BeginTime</c> before its begin time (or retry delay), <c>Priority</c> when
    /// a claimable job of its partition is ahead of it (higher priority, or equal and older),
    /// else <c>Resources</c>: it is next in line and waits for cores or memory. Computed on read
    /// rather than stored, so the claim path never rewrites every waiting row. Held is kept.
    /// </summary>
    public async Task<string> WaitReasonAsync(Job job, CancellationToken ct) =>
        (await WaitReasonsAsync([job], ct)).GetValueOrDefault(job.Id, job.Reason);

    /// <summary>The wait reasons of the PENDING jobs among <paramref name="jobs"/>, in one query (a list page).</summary>
    public async Task<IReadOnlyDictionary<long, string>> WaitReasonsAsync(IEnumerable<Job> jobs, CancellationToken ct)
    {
        var pending = jobs.Where(j => j.State == JobState.Pending && j.Reason != JobReason.Held).Select(j => j.Id).ToArray();
        var reasons = new Dictionary<long, string>();
        if (pending.Length == 0) return reasons;
        await using var conn = await db.OpenConnectionAsync(ct);
        // The head of each partition's queue (the first claimable job in claim order) is found with
        // the claim's own index scan, once per partition of the page; a job behind it waits for
        // Priority, the head itself for Resources. (Probing "anyone ahead of me" per job made the
        // planner walk the primary key through every finished job.)
        await using var cmd = conn.Command($"""
            WITH page AS (SELECT * FROM jobs WHERE id = ANY(@ids) AND state = 'PENDING'),
            heads AS (
                SELECT p.partition, h.id AS head_id
                FROM (SELECT DISTINCT partition FROM page) p
                CROSS JOIN LATERAL (
                    SELECT a.id FROM jobs a
                    WHERE a.state = 'PENDING' AND a.partition = p.partition AND a.eligible_time <= now()
                      AND NOT {DependencySql.Waiting("a")}
                    ORDER BY a.priority DESC, a.id LIMIT 1) h)
            SELECT j.id, CASE
                WHEN {DependencySql.Waiting("j")} THEN 'Dependency'
                WHEN j.eligible_time > now() THEN 'BeginTime'
                WHEN EXISTS (SELECT 1 FROM heads h WHERE h.partition = j.partition AND h.head_id <> j.id) THEN 'Priority'
                ELSE 'Resources' END
            FROM page j
            """, P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, pending));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) reasons[r.GetInt64(0)] = r.GetString(1);
        return reasons;
    }
}
