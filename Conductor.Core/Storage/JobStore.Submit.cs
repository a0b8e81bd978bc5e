using System.Text.Json;
using Conductor.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// Stores the jobs as PENDING in one transaction (all or nothing), each with its first event.
    /// With an idempotency key already taken, answers the existing job instead of a new one.
    /// The returned ids are in the order of <paramref name="specs"/>.
    /// </summary>
    public async Task<IReadOnlyList<long>> SubmitAsync(IReadOnlyList<JobSpec> specs, CancellationToken ct)
    {
        if (specs.Count == 0) return [];
        // Only the first spec carries a key (a single job, or the first task of an array).
        if (specs[0].IdempotencyKey is { } key)
        {
            var existing = await FindByIdempotencyKeyAsync(key, ct);
            if (existing.Count > 0) return existing;
        }
        try
        {
            return await InsertAsync(specs, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && specs[0].IdempotencyKey is { } raced)
        {
            // A concurrent submit with the same key won the unique index (we waited for its
            // commit there): answer its job.
            var existing = await FindByIdempotencyKeyAsync(raced, ct);
            return existing.Count > 0 ? existing : throw new InvalidOperationException("Idempotent job vanished.", e);
        }
    }

    /// <summary>
    /// One set-based INSERT fed by arrays (one parameter per column, not per row), so 10,000
    /// jobs cost one round trip instead of 10,000 tracked entities. Ids are taken from the
    /// sequence first and handed out in input order, so the answer maps 1:1 onto the input
    /// without relying on the order of RETURNING.
    /// </summary>
    private async Task<IReadOnlyList<long>> InsertAsync(IReadOnlyList<JobSpec> specs, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var ids = await InsertAsync(conn, specs, ct);
        await tx.CommitAsync(ct);
        return ids;
    }

    /// <summary>The insert inside the caller's transaction (the scheduler fires within its schedule lock).</summary>
    internal async Task<long[]> InsertAsync(NpgsqlConnection conn, IReadOnlyList<JobSpec> specs, CancellationToken ct)
    {
        var ids = await ReserveIdsAsync(conn, specs.Count, ct);
        await using var cmd = conn.Command(InsertSql, InsertParameters(ids, specs, UtcNow));
        var inserted = (long)(await cmd.ExecuteScalarAsync(ct))!;
        if (inserted != specs.Count) throw new InvalidOperationException($"Inserted {inserted} of {specs.Count} jobs.");
        return ids;
    }

    private static async Task<long[]> ReserveIdsAsync(NpgsqlConnection conn, int count, CancellationToken ct)
    {
        await using var cmd = conn.Command(
            "SELECT nextval(pg_get_serial_sequence('jobs', 'id')) FROM generate_series(1, @n)",
            P("n", NpgsqlDbType.Integer, count));
        var ids = new List<long>(count);
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) ids.Add(r.GetInt64(0));
        ids.Sort();
        return [.. ids];
    }

    // The deps CTE stores the dependency edges of every job;
    // the events CTE writes exactly one 'Submitted' row per inserted job, in the same statement.
    private const string InsertSql = """
        WITH input AS (
            SELECT * FROM unnest(@id, @name, @account, @partition, @ntasks, @cpt, @cpus, @mem, @tl, @env, @wd,
                                 @so, @se, @excl, @prio, @script, @key, @reason, @eligible, @dep, @begin, @retries, @delay, @backoff,
                                 @arr_job, @arr_task, @arr_max, @sched, @fire)
                AS i(id, name, account, partition, ntasks, cpt, cpus, mem, tl, env, wd, so, se, excl, prio, script, key, reason,
                     eligible, dep, begin_at, retries, delay, backoff, arr_job, arr_task, arr_max, sched, fire)),
        ins AS (
            INSERT INTO jobs (id, name, account, partition, ntasks_per_node, cpus_per_task, cpus, memory_mb,
                time_limit_seconds, environment, work_dir, standard_output, standard_error, exclusive, priority,
                script, idempotency_key, state, reason, submit_time, eligible_time, attempt, cancel_requested,
                dependency, begin_time, max_retries, retry_delay_seconds, retry_backoff,
                array_job_id, array_task_id, array_max_running, schedule_id, schedule_fire_time)
            SELECT id, name, account, partition, ntasks, cpt, cpus, mem, tl, env::jsonb, wd, so, se, excl, prio,
                script, key, 'PENDING', reason, @now, eligible, 0, false, dep, begin_at, retries, delay, backoff,
                arr_job, arr_task, arr_max, sched, fire
            FROM input
            RETURNING id),
        deps AS (
            INSERT INTO job_dependencies (job_id, depends_on, kind)
            SELECT * FROM unnest(@dep_job, @dep_on, @dep_kind)),
        ev AS (
            INSERT INTO job_events (job_id, from_state, to_state, reason, at, node)
            SELECT id, NULL, 'PENDING', 'Submitted', @now, NULL FROM ins)
        SELECT count(*) FROM ins
        """;

    private static (string, NpgsqlDbType, object?)[] InsertParameters(long[] ids, IReadOnlyList<JobSpec> specs, DateTime now)
    {
        var jobs = specs.Select(s => s.ToJob(now)).ToArray();
        // The tasks of an array (one per call: bulk refuses arrays) are named after the first task's id.
        var head = Array.FindIndex(jobs, j => j.ArrayTaskId is not null);
        foreach (var job in jobs.Where(j => j.ArrayTaskId is not null)) job.ArrayJobId = ids[head];
        T[] Col<T>(Func<Job, T> pick) => jobs.Select(pick).ToArray();
        var edges = specs.SelectMany((s, i) => s.Dependencies.Select(d => (Job: ids[i], On: d.JobId, d.Kind))).ToList();
        const NpgsqlDbType A = NpgsqlDbType.Array;
        return
        [
            P("id", A | NpgsqlDbType.Bigint, ids),
            P("name", A | NpgsqlDbType.Varchar, Col(j => j.Name)),
            P("account", A | NpgsqlDbType.Varchar, Col(j => j.Account)),
            P("partition", A | NpgsqlDbType.Varchar, Col(j => j.Partition)),
            P("ntasks", A | NpgsqlDbType.Integer, Col(j => j.NtasksPerNode)),
            P("cpt", A | NpgsqlDbType.Integer, Col(j => j.CpusPerTask)),
            P("cpus", A | NpgsqlDbType.Integer, Col(j => j.Cpus)),
            P("mem", A | NpgsqlDbType.Bigint, Col(j => j.MemoryMb)),
            P("tl", A | NpgsqlDbType.Integer, Col(j => j.TimeLimitSeconds)),
            P("env", A | NpgsqlDbType.Text, Col(j => JsonSerializer.Serialize(j.Environment))),
            P("wd", A | NpgsqlDbType.Text, Col(j => j.WorkDir)),
            P("so", A | NpgsqlDbType.Text, Col(j => j.StandardOutput)),
            P("se", A | NpgsqlDbType.Text, Col(j => j.StandardError)),
            P("excl", A | NpgsqlDbType.Boolean, Col(j => j.Exclusive)),
            P("prio", A | NpgsqlDbType.Integer, Col(j => j.Priority)),
            P("script", A | NpgsqlDbType.Text, Col(j => j.Script)),
            P("key", A | NpgsqlDbType.Varchar, Col(j => j.IdempotencyKey)),
            P("reason", A | NpgsqlDbType.Varchar, Col(j => j.Reason)),
            P("eligible", A | NpgsqlDbType.TimestampTz, Col(j => j.EligibleTime)),
            P("dep", A | NpgsqlDbType.Varchar, Col(j => j.Dependency)),
            P("begin", A | NpgsqlDbType.TimestampTz, Col(j => j.BeginTime)),
            P("retries", A | NpgsqlDbType.Integer, Col(j => j.MaxRetries)),
            P("delay", A | NpgsqlDbType.Integer, Col(j => j.RetryDelaySeconds)),
            P("backoff", A | NpgsqlDbType.Varchar, Col(j => j.RetryBackoff)),
            P("dep_job", A | NpgsqlDbType.Bigint, edges.Select(e => e.Job).ToArray()),
            P("dep_on", A | NpgsqlDbType.Bigint, edges.Select(e => e.On).ToArray()),
            P("dep_kind", A | NpgsqlDbType.Varchar, edges.Select(e => e.Kind).ToArray()),
            P("arr_job", A | NpgsqlDbType.Bigint, Col(j => j.ArrayJobId)),
            P("arr_task", A | NpgsqlDbType.Integer, Col(j => j.ArrayTaskId)),
            P("arr_max", A | NpgsqlDbType.Integer, Col(j => j.ArrayMaxRunning)),
            P("sched", A | NpgsqlDbType.Bigint, Col(j => j.ScheduleId)),
            P("fire", A | NpgsqlDbType.TimestampTz, Col(j => j.ScheduleFireTime)),
            P("now", NpgsqlDbType.TimestampTz, now),
        ];
    }

    /// <summary>The job the key names and, if it heads an array, the array's other tasks; in id order.</summary>
    private async Task<IReadOnlyList<long>> FindByIdempotencyKeyAsync(string key, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        var head = await ctx.Jobs.Where(j => j.IdempotencyKey == key).Select(j => (long?)j.Id).FirstOrDefaultAsync(ct);
        if (head is not { } id) return [];
        return await ctx.Jobs.Where(j => j.Id == id || j.ArrayJobId == id).OrderBy(j => j.Id).Select(j => j.Id).ToListAsync(ct);
    }
}

public sealed partial class JobStore
{
    /// <summary>Which of these job ids do not exist (a dependency must name a submitted job).</summary>
    public async Task<IReadOnlySet<long>> MissingJobsAsync(IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return new HashSet<long>();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("SELECT i FROM unnest(@ids) i WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE id = i)",
            P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, ids.Distinct().ToArray()));
        var missing = new HashSet<long>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) missing.Add(r.GetInt64(0));
        return missing;
    }
}
