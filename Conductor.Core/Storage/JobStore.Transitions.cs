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
        const string sql = """
            WITH moved AS (
                UPDATE jobs SET
                    state = @to, reason = @reason, error_msg = @error_msg,
                    exit_code = CASE WHEN @requeue THEN NULL ELSE COALESCE(@exit_code, exit_code) END,
                    end_time = CASE WHEN @terminal THEN now() ELSE end_time END,
                    node = CASE WHEN @requeue THEN NULL ELSE node END,
                    pid = CASE WHEN @requeue THEN NULL ELSE pid END,
                    process_start_ticks = CASE WHEN @requeue THEN NULL ELSE process_start_ticks END,
                    start_time = CASE WHEN @requeue THEN NULL ELSE start_time END,
                    attempt = CASE WHEN @requeue THEN attempt - 1 ELSE attempt END
                WHERE id = @id AND state = @from AND (@attempt::int IS NULL OR attempt = @attempt)
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
            P("requeue", NpgsqlDbType.Boolean, t.To == JobState.Pending));
        return (int)(await cmd.ExecuteScalarAsync(ct))! == 1;
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
