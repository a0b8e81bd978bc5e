using Npgsql;

namespace Conductor.Bench;

/// <summary>Bulk rows straight into the schema, for the recovery and scale scenarios.</summary>
public static class Seed
{
    public const string Columns =
        "name, account, partition, ntasks_per_node, cpus_per_task, cpus, memory_mb, environment, exclusive, priority, script, " +
        "state, reason, submit_time, eligible_time, start_time, end_time, attempt, cancel_requested, node, pid, process_start_ticks, boot_id, exit_code";

    public static async Task NodeAsync(NpgsqlDataSource db, string name, Guid instance, string bootId)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO nodes (name, partition, cpus, core_ids, memory_mb, state, instance_id, boot_id, registered_at, last_heartbeat)
            VALUES ($1, 'default', 2, '{0,1}', 4096, 'Up', $2, $3, now(), now())
            """);
        cmd.Parameters.AddWithValue(name);
        cmd.Parameters.AddWithValue(instance);
        cmd.Parameters.AddWithValue(bootId);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>RUNNING jobs of a node with the given pids and start ticks, each with an active allocation.</summary>
    public static async Task RunningAsync(NpgsqlDataSource db, string node, int[] pids, long[] ticks, string bootId)
    {
        await using var cmd = db.CreateCommand($$"""
            WITH j AS (
                INSERT INTO jobs ({{Columns}})
                SELECT 'r' || p.pid, 'bench', 'default', 1, 1, 1, 1, '{}', false, 5, 'true',
                       'RUNNING', 'None', now(), now(), now(), NULL, 1, false, $1, p.pid, p.ticks, $4, NULL
                FROM unnest($2::int[], $3::bigint[]) AS p(pid, ticks)
                RETURNING id)
            INSERT INTO allocations (job_id, attempt, node, cpus, cpu_ids, memory_mb, created_at)
            SELECT id, 1, $1, 1, '{0}', 1, now() FROM j
            """);
        cmd.Parameters.AddWithValue(node);
        cmd.Parameters.AddWithValue(pids);
        cmd.Parameters.AddWithValue(ticks);
        cmd.Parameters.AddWithValue(bootId);
        cmd.CommandTimeout = 600;
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task HistoryAsync(NpgsqlDataSource db, int finished, int pending)
    {
        await using var cmd = db.CreateCommand($$"""
            INSERT INTO jobs ({{Columns}})
            SELECT 'h' || g, 'acct' || (g % 50), 'default', 1, 1, 1, 1, '{}', false, 5, 'true',
                   (ARRAY['COMPLETED','FAILED','CANCELLED'])[1 + g % 3], 'None',
                   now() - interval '40 days' + g * interval '1 second', now() - interval '40 days', now() - interval '40 days',
                   now() - interval '39 days', 1, false, 'old-node', NULL, NULL, NULL, 0
            FROM generate_series(1, $1) g
            """);
        cmd.Parameters.AddWithValue(finished);
        cmd.CommandTimeout = 900;
        await cmd.ExecuteNonQueryAsync();
        await using var pendingCmd = db.CreateCommand($$"""
            INSERT INTO jobs ({{Columns}})
            SELECT 'p' || g, 'acct' || (g % 50), 'default', 1, 1, 1, 1, '{}', false, 1 + g % 20, 'true',
                   'PENDING', 'Priority', now(), now(), NULL, NULL, 0, false, NULL, NULL, NULL, NULL, NULL
            FROM generate_series(1, $1) g
            """);
        pendingCmd.Parameters.AddWithValue(pending);
        pendingCmd.CommandTimeout = 900;
        await pendingCmd.ExecuteNonQueryAsync();
        await using var analyze = db.CreateCommand("VACUUM ANALYZE jobs");
        analyze.CommandTimeout = 900;
        await analyze.ExecuteNonQueryAsync();
    }
}
