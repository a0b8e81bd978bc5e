using Conductor.Core.Jobs;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// Why a PENDING job waits right now, as Slurm words it: <c>Priority</c> when an eligible job
    /// of its partition is ahead of it in the queue (higher priority, or equal and older),
    /// <c>Resources</c> when it is next in line and only waits for cores or memory. Computed on
    /// read rather than stored, so the claim path never rewrites every waiting row.
    /// </summary>
    public async Task<string> WaitReasonAsync(Job job, CancellationToken ct)
    {
        if (job.State != JobState.Pending || job.Reason is not (JobReason.Priority or JobReason.Resources)) return job.Reason;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            SELECT EXISTS (
                SELECT 1 FROM jobs
                WHERE state = 'PENDING' AND partition = @p AND eligible_time <= now() AND reason IN ('Priority', 'Resources')
                  AND (priority > @prio OR (priority = @prio AND id < @id)))
            """,
            P("p", NpgsqlDbType.Varchar, job.Partition), P("prio", NpgsqlDbType.Integer, job.Priority), P("id", NpgsqlDbType.Bigint, job.Id));
        var behind = (bool)(await cmd.ExecuteScalarAsync(ct))!;
        return behind ? JobReason.Priority : JobReason.Resources;
    }
}
