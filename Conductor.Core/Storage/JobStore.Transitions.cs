using Conductor.Core.Jobs;
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
    public async Task<bool> TransitionAsync(Transition t, CancellationToken ct)
    {
        JobTransitions.EnsureAllowed(t.From, t.To);
        const string sql = $"""
            WITH moved AS (
                UPDATE jobs SET
                    state = @to, reason = @reason, error_msg = @error_msg,
                    exit_code = CASE WHEN @requeue AND NOT @retry THEN NULL ELSE COALESCE(@exit_code, exit_code) END,
                    end_time = CASE WHEN @terminal THEN now() ELSE end_time END,
                    node = CASE WHEN @requeue THEN NULL ELSE node END,
                    pid = CASE WHEN @requeue THEN NULL ELSE pid END,
                    process_start_ticks = CASE WHEN @requeue THEN NULL ELSE process_start_ticks END,
                    start_time = CASE WHEN @requeue THEN NULL ELSE start_time END,
                    attempt = CASE WHEN @requeue AND NOT @retry THEN attempt - 1 ELSE attempt END,
                    eligible_time = CASE WHEN @retry THEN now() + make_interval(secs => {RetryDelaySql}) ELSE eligible_time END
                WHERE id = @id AND state = @from AND (@attempt::int IS NULL OR attempt = @attempt)
                  AND (NOT @retry OR attempt <= max_retries)
                RETURNING id),
            ev AS (
                INSERT INTO job_events (job_id, from_state, to_state, reason, at, node)
                SELECT id, @from, @to, @reason, now(), @node FROM moved),
            released AS (
                UPDATE allocations SET released_at = now()
                WHERE (@terminal OR @requeue) AND job_id = @id AND released_at IS NULL
                  AND EXISTS (SELECT 1 FROM moved))
            SELECT count(*)::int FROM moved
            """;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command(sql,
            P("id", NpgsqlDbType.Bigint, t.JobId),
            P("from", NpgsqlDbType.Varchar, t.From.ToWire()),
            P("to", NpgsqlDbType.Varchar, t.To.ToWire()),
            P("reason", NpgsqlDbType.Varchar, t.Reason),
            P("error_msg", NpgsqlDbType.Text, t.ErrorMsg),
            P("exit_code", NpgsqlDbType.Integer, t.ExitCode),
            P("attempt", NpgsqlDbType.Integer, t.Attempt),
            P("node", NpgsqlDbType.Varchar, t.Node),
            P("terminal", NpgsqlDbType.Boolean, t.To.IsTerminal()),
            P("requeue", NpgsqlDbType.Boolean, t.To == JobState.Pending),
            P("retry", NpgsqlDbType.Boolean, t.Retry && t.To == JobState.Pending));
        return (int)(await cmd.ExecuteScalarAsync(ct))! == 1;
    }

    /// <summary>
    /// The pause before attempt n+1 (n = the attempt that failed): retry_delay_seconds, or for
    /// exponential backoff retry_delay_seconds * 2^(n-1) with +-25 % jitter (so a burst of jobs
    /// failing together does not come back together); never more than a day.
    /// </summary>
    private const string RetryDelaySql = """
        LEAST(86400, retry_delay_seconds * CASE WHEN retry_backoff = 'exponential'
            THEN power(2, LEAST(attempt - 1, 20)) * (0.75 + random() * 0.5) ELSE 1 END)
        """;

    /// <summary>
    /// Idempotent release of a job's active allocation (a no-op when already released).
    /// Only for jobs that are no longer RUNNING; returns how many rows it released.
    /// </summary>
    public async Task<int> ReleaseIfFinishedAsync(long jobId, CancellationToken ct)
    {
        const string sql = """
            UPDATE allocations a SET released_at = now()
            FROM jobs j
            WHERE a.job_id = @id AND a.released_at IS NULL AND j.id = a.job_id AND j.state <> 'RUNNING'
            """;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command(sql, P("id", NpgsqlDbType.Bigint, jobId));
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Cancel as the API sees it: PENDING → CANCELLED at once; RUNNING → mark the request for
    /// the worker that runs it; finished → unchanged. Null when the job does not exist.
    /// </summary>
    public async Task<JobState?> RequestCancelAsync(long jobId, CancellationToken ct)
    {
        for (var round = 0; round < 5; round++)
        {
            var cancelled = await TransitionAsync(new Transition(jobId, JobState.Pending, JobState.Cancelled, JobReason.CancelledByUser)
            {
                ErrorMsg = "Cancelled by user before it started.",
            }, ct);
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
