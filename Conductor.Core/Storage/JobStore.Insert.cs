using System.Text.Json;
using Conductor.Core.Jobs;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    // The ids CTE takes one sequence value per job and hands them out in input order (ord), so
    // the answer (ins, ordered by id) maps 1:1 onto the input without a separate round trip to
    // reserve them. The tasks of an array (one per call: bulk refuses arrays) are named after the
    // first task's id. The deps CTE stores the dependency edges of every job; the events CTE
    // writes exactly one 'Submitted' row per inserted job, in the same statement.
    private const string InsertSql = """
        WITH ids AS MATERIALIZED (
            SELECT row_number() OVER (ORDER BY v) AS ord, v AS id
            FROM (SELECT nextval(pg_get_serial_sequence('jobs', 'id')) AS v FROM generate_series(1, @n)) s),
        input AS (
            SELECT ids.id, i.*, CASE WHEN i.arr_task IS NOT NULL THEN min(ids.id) FILTER (WHERE i.arr_task IS NOT NULL) OVER () END AS arr_job
            FROM unnest(@name, @account, @partition, @ntasks, @cpt, @cpus, @mem, @tl, @env, @wd,
                        @so, @se, @excl, @prio, @script, @key, @reason, @eligible, @dep, @begin, @retries, @delay, @backoff,
                        @arr_task, @arr_max, @sched, @fire, @source, @hold, @requeue, @gpus, @gpu_model) WITH ORDINALITY
                AS i(name, account, partition, ntasks, cpt, cpus, mem, tl, env, wd, so, se, excl, prio, script, key, reason,
                     eligible, dep, begin_at, retries, delay, backoff, arr_task, arr_max, sched, fire, source, hold, requeue, gpus, gpu_model, ord)
            JOIN ids USING (ord)),
        ins AS (
            INSERT INTO jobs (id, name, account, partition, ntasks_per_node, cpus_per_task, cpus, memory_mb,
                time_limit_seconds, environment, work_dir, standard_output, standard_error, exclusive, priority,
                script, idempotency_key, state, reason, submit_time, eligible_time, attempt, cancel_requested,
                dependency, begin_time, max_retries, retry_delay_seconds, retry_backoff,
                array_job_id, array_task_id, array_max_running, schedule_id, schedule_fire_time, data_source, hold, requeue, gpus, gpu_model)
            SELECT id, name, account, partition, ntasks, cpt, cpus, mem, tl, env::jsonb, wd, so, se, excl, prio,
                script, key, 'PENDING', reason, @now, eligible, 0, false, dep, begin_at, retries, delay, backoff,
                arr_job, arr_task, arr_max, sched, fire, source, hold, requeue, gpus, gpu_model
            FROM input
            RETURNING id),
        deps AS (
            INSERT INTO job_dependencies (job_id, depends_on, kind)
            SELECT ids.id, d.depends_on, d.kind
            FROM unnest(@dep_ord, @dep_on, @dep_kind) AS d(ord, depends_on, kind) JOIN ids USING (ord)),
        ev AS (
            INSERT INTO job_events (job_id, from_state, to_state, reason, at, node)
            SELECT id, NULL, 'PENDING', 'Submitted', @now, NULL FROM ins)
        SELECT id FROM ins ORDER BY id
        """;

    private static (string, NpgsqlDbType, object?)[] InsertParameters(IReadOnlyList<JobSpec> specs, DateTime now)
    {
        var jobs = specs.Select(s => s.ToJob(now)).ToArray();
        // Npgsql infers each array's element type from its NpgsqlDbType; object?[] carries any column.
        object?[] Col(Func<Job, object?> pick) => jobs.Select(pick).ToArray();
        var edges = specs.SelectMany((s, i) => s.Dependencies.Select(d => (Ord: (long)i + 1, On: d.JobId, d.Kind))).ToList();
        return [P("n", NpgsqlDbType.Integer, specs.Count), .. CoreColumns(Col), .. SchedulingColumns(Col, edges), P("now", NpgsqlDbType.TimestampTz, now)];
    }

    private static (string, NpgsqlDbType, object?)[] CoreColumns(Func<Func<Job, object?>, object?[]> col)
    {
        const NpgsqlDbType A = NpgsqlDbType.Array;
        return
        [
            P("name", A | NpgsqlDbType.Varchar, col(j => j.Name)),
            P("account", A | NpgsqlDbType.Varchar, col(j => j.Account)),
            P("partition", A | NpgsqlDbType.Varchar, col(j => j.Partition)),
            P("ntasks", A | NpgsqlDbType.Integer, col(j => j.NtasksPerNode)),
            P("cpt", A | NpgsqlDbType.Integer, col(j => j.CpusPerTask)),
            P("cpus", A | NpgsqlDbType.Integer, col(j => j.Cpus)),
            P("mem", A | NpgsqlDbType.Bigint, col(j => j.MemoryMb)),
            P("tl", A | NpgsqlDbType.Integer, col(j => j.TimeLimitSeconds)),
            P("env", A | NpgsqlDbType.Text, col(j => JsonSerializer.Serialize(j.Environment))),
            P("wd", A | NpgsqlDbType.Text, col(j => j.WorkDir)),
            P("so", A | NpgsqlDbType.Text, col(j => j.StandardOutput)),
            P("se", A | NpgsqlDbType.Text, col(j => j.StandardError)),
            P("excl", A | NpgsqlDbType.Boolean, col(j => j.Exclusive)),
            P("prio", A | NpgsqlDbType.Integer, col(j => j.Priority)),
            P("script", A | NpgsqlDbType.Text, col(j => j.Script)),
            P("key", A | NpgsqlDbType.Varchar, col(j => j.IdempotencyKey)),
            P("source", A | NpgsqlDbType.Varchar, col(j => j.DataSource)),
            P("reason", A | NpgsqlDbType.Varchar, col(j => j.Reason)),
            P("eligible", A | NpgsqlDbType.TimestampTz, col(j => j.EligibleTime)),
        ];
    }

    private static (string, NpgsqlDbType, object?)[] SchedulingColumns(
        Func<Func<Job, object?>, object?[]> col, List<(long Ord, long On, string Kind)> edges)
    {
        const NpgsqlDbType A = NpgsqlDbType.Array;
        return
        [
            P("dep", A | NpgsqlDbType.Varchar, col(j => j.Dependency)),
            P("begin", A | NpgsqlDbType.TimestampTz, col(j => j.BeginTime)),
            P("retries", A | NpgsqlDbType.Integer, col(j => j.MaxRetries)),
            P("delay", A | NpgsqlDbType.Integer, col(j => j.RetryDelaySeconds)),
            P("backoff", A | NpgsqlDbType.Varchar, col(j => j.RetryBackoff)),
            P("dep_ord", A | NpgsqlDbType.Bigint, edges.Select(e => e.Ord).ToArray()),
            P("dep_on", A | NpgsqlDbType.Bigint, edges.Select(e => e.On).ToArray()),
            P("dep_kind", A | NpgsqlDbType.Varchar, edges.Select(e => e.Kind).ToArray()),
            P("arr_task", A | NpgsqlDbType.Integer, col(j => j.ArrayTaskId)),
            P("arr_max", A | NpgsqlDbType.Integer, col(j => j.ArrayMaxRunning)),
            P("sched", A | NpgsqlDbType.Bigint, col(j => j.ScheduleId)),
            P("fire", A | NpgsqlDbType.TimestampTz, col(j => j.ScheduleFireTime)),
            P("hold", A | NpgsqlDbType.Varchar, col(j => j.Hold)),
            P("requeue", A | NpgsqlDbType.Boolean, col(j => j.Requeue)),
            P("gpus", A | NpgsqlDbType.Integer, col(j => j.Gpus)),
            P("gpu_model", A | NpgsqlDbType.Varchar, col(j => j.GpuModel)),
        ];
    }
}
