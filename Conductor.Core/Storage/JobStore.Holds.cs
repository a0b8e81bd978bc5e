using Conductor.Core.Jobs;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>What a hold, release or requeue request did: done, or why not.</summary>
public enum JobActionResult
{
    Done,
    Unchanged,
    NotFound,
    WrongState,
    AdminHold,
}

public sealed partial class JobStore
{
    /// <summary>
    /// Holds a PENDING job (Slurm's hold / uhold): it keeps its place (priority, then id), but no
    /// claim takes it until released. An admin hold replaces a user hold; a user cannot turn an
    /// admin hold into its own. One statement with its event row (PENDING → PENDING, reason Held).
    /// </summary>
    public async Task<JobActionResult> HoldAsync(long jobId, string kind, string by, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            WITH moved AS (
                UPDATE jobs SET hold = @k, reason = 'Held'
                WHERE id = @id AND state = 'PENDING' AND hold IS DISTINCT FROM @k AND (hold IS NULL OR @k = 'admin')
                RETURNING id),
            ev AS (
                INSERT INTO job_events (job_id, from_state, to_state, reason, at, node, message)
                SELECT id, 'PENDING', 'PENDING', 'Held', now(), NULL, @msg FROM moved)
            SELECT (SELECT count(*) FROM moved), j.state, j.hold FROM jobs j WHERE j.id = @id
            """, P("id", NpgsqlDbType.Bigint, jobId), P("k", NpgsqlDbType.Varchar, kind),
            P("msg", NpgsqlDbType.Text, $"{Capitalized(kind)} hold by {by}."));
        return await ReadActionAsync(cmd, held => held == kind || held == HoldKinds.Admin, ct);
    }

    /// <summary>
    /// Releases a held job: back in line where it was (its id, its submit order, is unchanged).
    /// An admin hold is released only by an admin.
    /// </summary>
    public async Task<JobActionResult> ReleaseAsync(long jobId, bool admin, string by, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            WITH moved AS (
                UPDATE jobs SET hold = NULL, reason = 'Priority'
                WHERE id = @id AND state = 'PENDING' AND hold IS NOT NULL AND (hold = 'user' OR @admin)
                RETURNING id),
            ev AS (
                INSERT INTO job_events (job_id, from_state, to_state, reason, at, node, message)
                SELECT id, 'PENDING', 'PENDING', 'Released', now(), NULL, @msg FROM moved)
            SELECT (SELECT count(*) FROM moved), j.state, j.hold FROM jobs j WHERE j.id = @id
            """, P("id", NpgsqlDbType.Bigint, jobId), P("admin", NpgsqlDbType.Boolean, admin),
            P("msg", NpgsqlDbType.Text, $"Released by {by}."));
        return await ReadActionAsync(cmd, held => held is null, ct);
    }

    /// <summary>
    /// Asks the worker running a job to kill it (its whole cgroup) and put it back in line as a new
    /// attempt. The request is an event row (RUNNING → RUNNING, RequeueRequested); the move itself
    /// is the worker's finish (RUNNING → PENDING, Requeued).
    /// </summary>
    public async Task<JobActionResult> RequestRequeueAsync(long jobId, string by, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            WITH moved AS (
                UPDATE jobs SET requeue_requested = true
                WHERE id = @id AND state = 'RUNNING' AND NOT requeue_requested AND NOT cancel_requested
                RETURNING id, node),
            ev AS (
                INSERT INTO job_events (job_id, from_state, to_state, reason, at, node, message)
                SELECT id, 'RUNNING', 'RUNNING', 'RequeueRequested', now(), node, @msg FROM moved)
            SELECT (SELECT count(*) FROM moved), j.state, j.hold FROM jobs j WHERE j.id = @id
            """, P("id", NpgsqlDbType.Bigint, jobId), P("msg", NpgsqlDbType.Text, $"Requeue requested by {by}."));
        return await ReadActionAsync(cmd, _ => false, ct, JobState.Running);
    }

    /// <summary>Marks every RUNNING job of a node for requeue (a drain's deadline passed); returns how many.</summary>
    public async Task<int> RequestRequeueOnNodeAsync(string node, string why, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            WITH moved AS (
                UPDATE jobs SET requeue_requested = true
                WHERE node = @n AND state = 'RUNNING' AND NOT requeue_requested AND NOT cancel_requested
                RETURNING id, node)
            INSERT INTO job_events (job_id, from_state, to_state, reason, at, node, message)
            SELECT id, 'RUNNING', 'RUNNING', 'RequeueRequested', now(), node, @msg FROM moved
            """, P("n", NpgsqlDbType.Varchar, node), P("msg", NpgsqlDbType.Text, why));
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>This node's RUNNING jobs someone asked to stop: cancel (false) or requeue (true).</summary>
    public async Task<IReadOnlyList<(long Id, bool Requeue)>> StopRequestedOnNodeAsync(string node, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command(
            "SELECT id, requeue_requested AND NOT cancel_requested FROM jobs WHERE node = @n AND state = 'RUNNING' AND (cancel_requested OR requeue_requested)",
            P("n", NpgsqlDbType.Varchar, node));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var stops = new List<(long, bool)>();
        while (await r.ReadAsync(ct)) stops.Add((r.GetInt64(0), r.GetBoolean(1)));
        return stops;
    }

    /// <summary>
    /// How long until a PENDING job becomes eligible (its retry delay, on the database's clock);
    /// null when it is not PENDING or already eligible. Read once per retry, off the claim path.
    /// </summary>
    public async Task<TimeSpan?> EligibleInAsync(long jobId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command(
            "SELECT extract(epoch FROM eligible_time - now())::float8 FROM jobs WHERE id = @id AND state = 'PENDING' AND eligible_time > now()",
            P("id", NpgsqlDbType.Bigint, jobId));
        return await cmd.ExecuteScalarAsync(ct) is double seconds ? TimeSpan.FromSeconds(seconds) : null;
    }

    private static async Task<JobActionResult> ReadActionAsync(Npgsql.NpgsqlCommand cmd, Func<string?, bool> alreadyDone, CancellationToken ct,
        JobState expected = JobState.Pending)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return JobActionResult.NotFound;
        if (r.GetInt64(0) > 0) return JobActionResult.Done;
        var state = ConductorDbContext.ParseState(r.GetString(1));
        var hold = r.IsDBNull(2) ? null : r.GetString(2);
        if (state != expected) return JobActionResult.WrongState;
        if (expected == JobState.Pending && alreadyDone(hold)) return JobActionResult.Unchanged;
        return expected == JobState.Pending ? JobActionResult.AdminHold : JobActionResult.Unchanged;
    }

    private static string Capitalized(string word) => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..];
}
