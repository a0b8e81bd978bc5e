using Conductor.Core.Jobs;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// Compare-and-set on the expected state, the event row, and (for terminal states and
    /// requeues) the idempotent allocation release, all in one statement: either all happen
    /// or none. Returns false when the job was not in <see cref="Transition.From"/> any more —
    /// a lost race is a normal outcome, not an error.
    /// </summary>
    public async Task<bool> TransitionAsync(Transition t, CancellationToken ct) =>
        (await TransitionManyAsync([t], ct)).Count == 1;

    /// <summary>
    /// The same compare-and-set for many jobs in one statement (recovery settles thousands at
    /// once). Each row moves only from its own expected state (and attempt); returns the ids moved.
    /// </summary>
    public async Task<IReadOnlyList<long>> TransitionManyAsync(IReadOnlyList<Transition> transitions, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn) { BatchCommands = { KeyedPlans(), TransitionCommand(transitions) } };
        await using var r = await batch.ExecuteReaderAsync(ct);
        await r.NextResultAsync(ct);
        var moved = new List<long>(transitions.Count);
        while (await r.ReadAsync(ct)) moved.Add(r.GetInt64(0));
        return moved;
    }

    /// <summary>The statement behind <see cref="TransitionManyAsync"/>; it returns the id of each job it moved.</summary>
    internal static NpgsqlBatchCommand TransitionCommand(IReadOnlyList<Transition> transitions)
    {
        var sql = (JobMoveSql.PerRow(transitions.Select(t => (t.From, t.To)),
            """
            SELECT * FROM unnest(@ids, @froms, @tos, @reasons, @msgs, @exits, @attempts, @nodes, @retries, @cpus, @peaks,
                                 @users, @systems, @requeues, @notes, @pids, @ticks, @boots, @wds, @outs, @errs, @uids)
                AS t(id, from_state, to_state, reason, msg, exit_code, attempt, node, retry, cpu_seconds, peak_memory_bytes,
                     cpu_user_seconds, cpu_system_seconds, requeue, note, pid, ticks, boot, wd, out_path, err_path, uid)
            """,
            $"""
            reason = t.reason, error_msg = t.msg, requeue_requested = false,
                exit_code = CASE WHEN t.to_state = 'PENDING' AND NOT t.retry THEN NULL ELSE COALESCE(t.exit_code, j.exit_code) END,
                cpu_seconds = COALESCE(t.cpu_seconds, j.cpu_seconds),
                peak_memory_bytes = COALESCE(t.peak_memory_bytes, j.peak_memory_bytes),
                cpu_user_seconds = COALESCE(t.cpu_user_seconds, j.cpu_user_seconds),
                cpu_system_seconds = COALESCE(t.cpu_system_seconds, j.cpu_system_seconds),
                end_time = CASE WHEN t.to_state IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN now() WHEN t.to_state = 'PENDING' THEN NULL ELSE j.end_time END,
                node = CASE WHEN t.to_state = 'PENDING' THEN NULL ELSE j.node END,
                pid = CASE WHEN t.to_state = 'PENDING' THEN NULL ELSE COALESCE(t.pid, j.pid) END,
                process_start_ticks = CASE WHEN t.to_state = 'PENDING' THEN NULL ELSE COALESCE(t.ticks, j.process_start_ticks) END,
                boot_id = COALESCE(t.boot, j.boot_id), work_dir = COALESCE(t.wd, j.work_dir),
                stdout_path = COALESCE(t.out_path, j.stdout_path), stderr_path = COALESCE(t.err_path, j.stderr_path),
                run_uid = CASE WHEN t.pid IS NULL THEN j.run_uid ELSE t.uid END,
                start_time = CASE WHEN t.to_state = 'PENDING' THEN NULL ELSE j.start_time END,
                attempt = CASE WHEN t.to_state = 'PENDING' AND NOT t.retry AND t.requeue = 0 THEN j.attempt - 1 ELSE j.attempt END,
                eligible_time = CASE WHEN t.requeue > 0 THEN now() WHEN t.retry THEN now() + make_interval(secs => {RetryDelaySql}) ELSE j.eligible_time END
            """) with
        {
            Where = "AND (t.attempt IS NULL OR j.attempt = t.attempt) AND (NOT t.retry OR j.attempt <= j.max_retries) AND (t.requeue <> 2 OR j.requeue)",
            EventMessage = "t.note",
        }).Text;
        return Batched(sql,
            P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, transitions.Select(t => t.JobId).ToArray()),
            P("froms", NpgsqlDbType.Array | NpgsqlDbType.Varchar, transitions.Select(t => t.From.ToWire()).ToArray()),
            P("tos", NpgsqlDbType.Array | NpgsqlDbType.Varchar, transitions.Select(t => t.To.ToWire()).ToArray()),
            P("reasons", NpgsqlDbType.Array | NpgsqlDbType.Varchar, transitions.Select(t => t.Reason).ToArray()),
            P("msgs", NpgsqlDbType.Array | NpgsqlDbType.Text, transitions.Select(t => t.ErrorMsg).ToArray()),
            P("exits", NpgsqlDbType.Array | NpgsqlDbType.Integer, transitions.Select(t => t.ExitCode).ToArray()),
            P("attempts", NpgsqlDbType.Array | NpgsqlDbType.Integer, transitions.Select(t => t.Attempt).ToArray()),
            P("nodes", NpgsqlDbType.Array | NpgsqlDbType.Varchar, transitions.Select(t => t.Node).ToArray()),
            P("retries", NpgsqlDbType.Array | NpgsqlDbType.Boolean, transitions.Select(t => t.Retry && t.To == JobState.Pending).ToArray()),
            P("cpus", NpgsqlDbType.Array | NpgsqlDbType.Double, transitions.Select(t => t.CpuSeconds).ToArray()),
            P("peaks", NpgsqlDbType.Array | NpgsqlDbType.Bigint, transitions.Select(t => t.PeakMemoryBytes).ToArray()),
            P("users", NpgsqlDbType.Array | NpgsqlDbType.Double, transitions.Select(t => t.CpuUserSeconds).ToArray()),
            P("systems", NpgsqlDbType.Array | NpgsqlDbType.Double, transitions.Select(t => t.CpuSystemSeconds).ToArray()),
            P("requeues", NpgsqlDbType.Array | NpgsqlDbType.Integer,
                transitions.Select(t => t.To == JobState.Pending ? (int)t.Requeue : 0).ToArray()),
            P("notes", NpgsqlDbType.Array | NpgsqlDbType.Text, transitions.Select(t => t.EventMessage).ToArray()),
            P("pids", NpgsqlDbType.Array | NpgsqlDbType.Integer, transitions.Select(t => t.Spawn?.Pid).ToArray()),
            P("ticks", NpgsqlDbType.Array | NpgsqlDbType.Bigint, transitions.Select(t => t.Spawn?.StartTicks).ToArray()),
            P("boots", NpgsqlDbType.Array | NpgsqlDbType.Text, transitions.Select(t => t.Spawn?.BootId).ToArray()),
            P("wds", NpgsqlDbType.Array | NpgsqlDbType.Text, transitions.Select(t => t.Spawn?.WorkDir).ToArray()),
            P("outs", NpgsqlDbType.Array | NpgsqlDbType.Text, transitions.Select(t => t.Spawn?.StdoutPath).ToArray()),
            P("errs", NpgsqlDbType.Array | NpgsqlDbType.Text, transitions.Select(t => t.Spawn?.StderrPath).ToArray()),
            P("uids", NpgsqlDbType.Array | NpgsqlDbType.Integer, transitions.Select(t => t.Spawn?.Uid).ToArray()));
    }

    /// <summary>
    /// The pause before attempt n+1 (n = the attempt that failed): retry_delay_seconds, or for
    /// exponential backoff retry_delay_seconds * 2^(n-1) with +-25 % jitter (so a burst of jobs
    /// failing together does not come back together); never more than a day.
    /// </summary>
    private const string RetryDelaySql = """
        LEAST(86400, j.retry_delay_seconds * CASE WHEN j.retry_backoff = 'exponential'
            THEN power(2, LEAST(j.attempt - 1, 20)) * (0.75 + random() * 0.5) ELSE 1 END)
        """;

    /// <summary>
    /// Cancel as the API sees it: PENDING → CANCELLED at once; RUNNING → mark the request for
    /// the worker that runs it; finished → unchanged. Null when the job does not exist.
    /// </summary>
    public async Task<JobState?> RequestCancelAsync(long jobId, CancellationToken ct)
    {
        for (var round = 0; round < 5; round++)
        {
            var cancelled = await TransitionAsync(Transition.Ending(jobId, JobState.Pending, JobOutcomes.CancelledBeforeStart), ct);
            if (cancelled) return JobState.Cancelled;

            await using var conn = await db.OpenConnectionAsync(ct);
            await using var cmd = conn.Command(
                "UPDATE jobs SET cancel_requested = true WHERE id = @id AND state = 'RUNNING' RETURNING id",
                P("id", NpgsqlDbType.Bigint, jobId));
            if (await cmd.ExecuteScalarAsync(ct) is not null) return JobState.Running;

            var state = await GetStateAsync(jobId, ct);
            if (state is null || state.Value.IsTerminal()) return state;
            // It moved between our two writes (e.g. PENDING → RUNNING); look again.
        }
        return await GetStateAsync(jobId, ct);
    }
}

public sealed partial class JobStore
{
    /// <summary>Releases every active allocation on the node whose job is no longer RUNNING.</summary>
    public async Task<int> ReleaseLeakedAsync(string node, CancellationToken ct)
    {
        const string sql = """
            UPDATE allocations a SET released_at = now()
            FROM jobs j
            WHERE a.node = @n AND a.released_at IS NULL AND j.id = a.job_id
              AND (j.state <> 'RUNNING' OR j.attempt <> a.attempt)
            """;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command(sql, P("n", NpgsqlDbType.Varchar, node));
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
