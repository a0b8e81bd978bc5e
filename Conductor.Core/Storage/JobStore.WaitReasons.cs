using Conductor.Core.Jobs;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// Why a PENDING job waits right now, as Slurm words it: <c>Held</c> while held (stored),
    /// <c>Dependency</c> while an edge is unsatisfied, <c>BeginTime</c> before its begin time (or
    /// retry delay), <c>PartitionDown</c> while its partition is paused, <c>AssocMaxJobsLimit</c> /
    /// <c>AssocGrpCpuLimit</c> while its account's quota is used up, <c>Priority</c> when a
    /// claimable job of its partition is ahead of it (higher priority, or equal and older), else
    /// <c>Resources</c>: it is next in line and waits for cores or memory. Computed on read rather
    /// than stored, so the claim path never rewrites every waiting row.
    /// </summary>
    public async Task<string> WaitReasonAsync(Job job, CancellationToken ct) =>
        (await WaitReasonsAsync([job], ct)).GetValueOrDefault(job.Id, job.Reason);

    /// <summary>The wait reasons of the PENDING jobs among <paramref name="jobs"/>, in one query (a list page).</summary>
    public async Task<IReadOnlyDictionary<long, string>> WaitReasonsAsync(IEnumerable<Job> jobs, CancellationToken ct)
    {
        var reasons = new Dictionary<long, string>();
        var pending = new List<long>();
        foreach (var job in jobs.Where(j => j.State == JobState.Pending))
        {
            if (job.Hold is not null) reasons[job.Id] = JobReason.Held;
            else pending.Add(job.Id);
        }
        if (pending.Count == 0) return reasons;
        await using var conn = await db.OpenConnectionAsync(ct);
        // The head of each partition's queue (the first claimable job in claim order) is found with
        // the claim's own index scan, once per partition of the page; a job behind it waits for
        // Priority, the head itself for Resources. (Probing "anyone ahead of me" per job made the
        // planner walk the primary key through every finished job.)
        await using var cmd = conn.Command($"""
            WITH page AS (SELECT * FROM jobs WHERE id = ANY(@ids) AND state = 'PENDING' AND hold IS NULL),
            heads AS (
                SELECT p.partition, h.id AS head_id
                FROM (SELECT DISTINCT partition FROM page) p
                CROSS JOIN LATERAL (
                    SELECT a.id FROM jobs a
                    WHERE a.state = 'PENDING' AND a.hold IS NULL AND a.partition = p.partition AND a.eligible_time <= now()
                      AND NOT {DependencySql.Waiting("a")}
                    ORDER BY a.priority DESC, a.id LIMIT 1) h),
            limits AS (
                SELECT j.id, (q).max_cpus, (q).max_running_jobs, u.cpus AS used_cpus, u.jobs AS used_jobs
                FROM (SELECT j.id, j.account, j.partition, {string.Format(QuotaOf, "j.account", "j.partition")} AS q FROM page j) j
                CROSS JOIN LATERAL (
                    SELECT coalesce(sum(r.cpus), 0) AS cpus, count(*) AS jobs FROM jobs r
                    WHERE r.state = 'RUNNING' AND r.account = j.account AND r.partition = j.partition) u
                WHERE (q).account IS NOT NULL) -- a row IS NOT NULL only when all its fields are
            SELECT j.id, CASE
                WHEN {DependencySql.Waiting("j")} THEN 'Dependency'
                WHEN j.eligible_time > now() THEN 'BeginTime'
                WHEN EXISTS (SELECT 1 FROM partitions p WHERE p.name = j.partition AND p.paused) THEN 'PartitionDown'
                WHEN l.used_jobs >= l.max_running_jobs THEN 'AssocMaxJobsLimit'
                WHEN l.used_cpus + j.cpus > l.max_cpus THEN 'AssocGrpCpuLimit'
                WHEN EXISTS (SELECT 1 FROM heads h WHERE h.partition = j.partition AND h.head_id <> j.id) THEN 'Priority'
                ELSE 'Resources' END
            FROM page j LEFT JOIN limits l ON l.id = j.id
            """, P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, pending.ToArray()));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) reasons[r.GetInt64(0)] = r.GetString(1);
        return reasons;
    }
}
