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
    /// rather than stored, so the claim path never rewrites every waiting row.
    /// </summary>
    public async Task<string> WaitReasonAsync(Job job, CancellationToken ct)
    {
        if (job.State != JobState.Pending || job.Reason == JobReason.Held) return job.Reason;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command($"""
            SELECT CASE
                WHEN {DependencySql.Waiting("j")} THEN 'Dependency'
                WHEN j.eligible_time > now() THEN 'BeginTime'
                WHEN EXISTS (
                    SELECT 1 FROM jobs a
                    WHERE a.state = 'PENDING' AND a.partition = j.partition AND a.eligible_time <= now()
                      AND (a.priority > j.priority OR (a.priority = j.priority AND a.id < j.id))
                      AND NOT {DependencySql.Waiting("a")}) THEN 'Priority'
                ELSE 'Resources' END
            FROM jobs j WHERE j.id = @id
            """, P("id", NpgsqlDbType.Bigint, job.Id));
        return await cmd.ExecuteScalarAsync(ct) as string ?? job.Reason;
    }
}
