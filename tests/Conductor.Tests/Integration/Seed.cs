using Conductor.Tests.Infrastructure;

namespace Conductor.Tests.Integration;

/// <summary>
/// Writes rows straight into the database: the faults an operator meets after incidents
/// (leaked allocations, doubled cores, silent nodes) cannot be produced through the API.
/// Ages are PostgreSQL interval literals ('40 days').
/// </summary>
public static class Seed
{
    public static Task NodeAsync(TestDatabase db, string name, int cpus = 4, string state = "Up", string heartbeatAge = "0 seconds") =>
        db.ExecuteAsync($"""
            INSERT INTO nodes (name, partition, cpus, core_ids, memory_mb, state, instance_id, registered_at, last_heartbeat)
            VALUES ('{name}', 'default', {cpus}, (SELECT array_agg(g) FROM generate_series(0, {cpus - 1}) g), 8192, '{state}',
                    gen_random_uuid(), now() - interval '{heartbeatAge}', now() - interval '{heartbeatAge}')
            """);

    /// <summary>A job in <paramref name="state"/>; finished ones ended <paramref name="endedAge"/> ago after running 10 s.</summary>
    public static async Task<long> JobAsync(TestDatabase db, string state, string? node = null, int cpus = 1,
        string submittedAge = "1 minute", string? endedAge = null, string reason = "None")
    {
        var started = state == "PENDING" ? "NULL" : endedAge is null ? "now() - interval '30 seconds'" : $"now() - interval '{endedAge}' - interval '10 seconds'";
        var ended = endedAge is null ? "NULL" : $"now() - interval '{endedAge}'";
        var attempt = state == "PENDING" ? 0 : 1;
        var nodeValue = node is null ? "NULL" : $"'{node}'";
        const string emptyEnvironment = "'{}'";
        var id = await db.ScalarAsync<long>($"""
            INSERT INTO jobs (account, partition, ntasks_per_node, cpus_per_task, cpus, memory_mb, environment, exclusive, priority,
                              script, state, reason, submit_time, eligible_time, start_time, end_time, attempt, cancel_requested, node)
            VALUES ('ops', 'default', 1, {cpus}, {cpus}, 64, {emptyEnvironment}, false, 5, 'true', '{state}', '{reason}',
                    now() - interval '{submittedAge}', now() - interval '{submittedAge}', {started}, {ended},
                    {attempt}, false, {nodeValue})
            RETURNING id
            """);
        await db.ExecuteAsync($"INSERT INTO job_events (job_id, from_state, to_state, reason, at) VALUES ({id}, NULL, 'PENDING', 'Submitted', now())");
        return id;
    }

    public static Task AllocationAsync(TestDatabase db, long jobId, string node, int[] cpuIds, bool released = false)
    {
        var cores = "'{" + string.Join(',', cpuIds) + "}'";
        var releasedAt = released ? "now()" : "NULL";
        return db.ExecuteAsync($"""
            INSERT INTO allocations (job_id, attempt, node, cpus, cpu_ids, memory_mb, created_at, released_at)
            VALUES ({jobId}, 1, '{node}', {cpuIds.Length}, {cores}, 64, now(), {releasedAt})
            """);
    }

    /// <summary>A RUNNING job on <paramref name="node"/> holding <paramref name="cpuIds"/>, consistent in every table.</summary>
    public static async Task<long> RunningJobAsync(TestDatabase db, string node, params int[] cpuIds)
    {
        var id = await JobAsync(db, "RUNNING", node, cpuIds.Length);
        await AllocationAsync(db, id, node, cpuIds);
        return id;
    }
}
