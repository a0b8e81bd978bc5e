using Conductor.Core.Jobs;
using Conductor.Core.Nodes;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class NodeStore
{
    // One reaper at a time across every API and worker process.
    private const long ReaperLockKey = 0x436f6e64_52656170; // "CondReap"

    /// <summary>
    /// Heartbeat with the database clock (never the caller's). Null when another instance owns the
    /// node (this one is fenced); otherwise the node's state, which a peer may have set to DOWN,
    /// and whether a drain's deadline has passed (its running jobs are then requeued). Same one
    /// statement as before the drain existed: one more column read.
    /// </summary>
    public async Task<(NodeState State, bool DrainOverdue)?> HeartbeatAsync(string name, Guid instanceId, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            UPDATE nodes SET last_heartbeat = now() WHERE name = @n AND instance_id = @i
            RETURNING state, drained_since IS NOT NULL AND drain_deadline <= now()
            """,
            P("n", NpgsqlDbType.Varchar, name), P("i", NpgsqlDbType.Uuid, instanceId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return (Enum.Parse<NodeState>(r.GetString(0)), !r.IsDBNull(1) && r.GetBoolean(1));
    }

    /// <summary>
    /// One pass of the node reaper (<see cref="NodeReaper"/>, the only caller): marks every UP node
    /// whose heartbeat is older than the lease DOWN, then ends the RUNNING jobs of every DOWN node
    /// as <c>NodeFail</c> through the finish rule (<see cref="JobStore.FinishManyAsync(IReadOnlyList{Transition}, CancellationToken)"/>:
    /// a job that asked for retries is retried), in one transaction guarded by an advisory lock so
    /// that concurrent reapers do the work once. No node is judged while PostgreSQL itself has
    /// been up for less than a lease: nobody could heartbeat before it started.
    /// </summary>
    internal async Task<ReapResult> ReapDeadNodesAsync(TimeSpan lease, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // A reaper that stalls inside this transaction (a worker stopped or frozen mid-reap) must
        // not keep the lock, and with it all reaping, to itself: PostgreSQL ends its session once
        // it has sat idle in the transaction for a fraction of the lease.
        var idleMs = (long)Math.Clamp(lease.TotalMilliseconds / 3, 1000, 60_000);
        await using (var lockCmd = conn.Command(
            $"SET LOCAL idle_in_transaction_session_timeout = {idleMs}; SELECT pg_try_advisory_xact_lock(@k)",
            P("k", NpgsqlDbType.Bigint, ReaperLockKey)))
            if (!(bool)(await lockCmd.ExecuteScalarAsync(ct))!) return new ReapResult([], []);
        var down = await MarkStaleDownAsync(conn, lease, ct);
        var running = await RunningOnDownNodesAsync(conn, ct);
        var moved = await JobStore.FinishManyAsync(conn,
            running.Select(j => Transition.Ending(j.Id, JobState.Running, JobOutcomes.NodeFail(j.Node)) with { Attempt = j.Attempt, Node = j.Node }).ToList(), ct);
        await tx.CommitAsync(ct);
        return new ReapResult(down, running.Zip(moved).Where(m => m.Second is not null).Select(m => new ReapedJob(m.First.Id, m.First.Node, m.Second!.Value)).ToList());
    }

    private static async Task<List<string>> MarkStaleDownAsync(NpgsqlConnection conn, TimeSpan lease, CancellationToken ct)
    {
        await using var cmd = conn.Command("""
            UPDATE nodes SET state = 'Down'
            WHERE state = 'Up' AND last_heartbeat < now() - @lease AND pg_postmaster_start_time() < now() - @lease
            RETURNING name
            """,
            P("lease", NpgsqlDbType.Interval, lease));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var names = new List<string>();
        while (await r.ReadAsync(ct)) names.Add(r.GetString(0));
        return names;
    }

    private static async Task<List<(long Id, int Attempt, string Node)>> RunningOnDownNodesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = conn.Command("""
            SELECT j.id, j.attempt, j.node FROM jobs j JOIN nodes n ON n.name = j.node
            WHERE j.state = 'RUNNING' AND n.state = 'Down' ORDER BY j.id
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var jobs = new List<(long, int, string)>();
        while (await r.ReadAsync(ct)) jobs.Add((r.GetInt64(0), r.GetInt32(1), r.GetString(2)));
        return jobs;
    }
}
