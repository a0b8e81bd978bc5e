using Conductor.Core.Jobs;
using Conductor.Core.Nodes;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>What one pass of the dead-node reaper did.</summary>
public sealed record ReapResult(IReadOnlyList<string> NodesMarkedDown, int JobsFailed);

public sealed partial class NodeStore
{
    // One reaper at a time across every API and worker process.
    private const long ReaperLockKey = 0x436f6e64_52656170; // "CondReap"

    /// <summary>
    /// Heartbeat with the database clock (never the caller's). Null when another instance owns the
    /// node (this one is fenced); otherwise the node's state, which a peer may have set to DOWN.
    /// </summary>
    public async Task<NodeState?> HeartbeatAsync(string name, Guid instanceId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("UPDATE nodes SET last_heartbeat = now() WHERE name = @n AND instance_id = @i RETURNING state",
            P("n", NpgsqlDbType.Varchar, name), P("i", NpgsqlDbType.Uuid, instanceId));
        return await cmd.ExecuteScalarAsync(ct) is string state ? Enum.Parse<NodeState>(state) : null;
    }

    /// <summary>
    /// Marks every UP node whose heartbeat is older than the lease DOWN, then fails the RUNNING
    /// jobs of every DOWN node as <c>NodeFail</c> and releases their allocations, in one
    /// transaction guarded by an advisory lock so that concurrent reapers do the work once.
    /// </summary>
    public async Task<ReapResult> ReapDeadNodesAsync(TimeSpan lease, CancellationToken ct)
    {
        JobTransitions.EnsureAllowed(JobState.Running, JobState.Failed);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // A reaper that stalls inside this transaction (a worker stopped or frozen mid-reap) must
        // not keep the lock, and with it all reaping, to itself: PostgreSQL ends its session once
        // it has sat idle in the transaction for a fraction of the lease.
        var idleMs = (long)Math.Clamp(lease.TotalMilliseconds / 3, 1000, 60_000);
        await using (var lockCmd = conn.Command(
            $"SET LOCAL idle_in_transaction_session_timeout = {idleMs}; SELECT pg_try_advisory_xact_lock(@k)",
            P("k", NpgsqlDbType.Bigint, ReaperLockKey)))
            if (!(bool)(await lockCmd.ExecuteScalarAsync(ct))!) return new ReapResult([], 0);
        var down = await MarkStaleDownAsync(conn, lease, ct);
        var failed = await FailJobsOfDownNodesAsync(conn, ct);
        await tx.CommitAsync(ct);
        return new ReapResult(down, failed);
    }

    private static async Task<List<string>> MarkStaleDownAsync(NpgsqlConnection conn, TimeSpan lease, CancellationToken ct)
    {
        await using var cmd = conn.Command(
            "UPDATE nodes SET state = 'Down' WHERE state = 'Up' AND last_heartbeat < now() - @lease RETURNING name",
            P("lease", NpgsqlDbType.Interval, lease));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var names = new List<string>();
        while (await r.ReadAsync(ct)) names.Add(r.GetString(0));
        return names;
    }

    private static async Task<int> FailJobsOfDownNodesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        const string sql = """
            WITH moved AS (
                UPDATE jobs j SET state = 'FAILED', reason = 'NodeFail', end_time = now(),
                    error_msg = 'Node ' || j.node || ' stopped sending heartbeats while the job ran; it is presumed dead.'
                FROM nodes n
                WHERE n.name = j.node AND n.state = 'Down' AND j.state = 'RUNNING'
                RETURNING j.id, j.node),
            ev AS (
                INSERT INTO job_events (job_id, from_state, to_state, reason, at, node)
                SELECT id, 'RUNNING', 'FAILED', 'NodeFail', now(), node FROM moved),
            released AS (
                UPDATE allocations SET released_at = now()
                WHERE released_at IS NULL AND job_id IN (SELECT id FROM moved))
            SELECT count(*)::int FROM moved
            """;
        await using var cmd = conn.Command(sql);
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
