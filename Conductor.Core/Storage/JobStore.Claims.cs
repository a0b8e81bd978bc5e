using Conductor.Core.Jobs;
using Conductor.Core.Scheduling;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>A job this node's worker now owns for one attempt, with the cores it is pinned to.</summary>
public sealed record ClaimedJob(Job Job, int[] CpuIds);

public sealed partial class JobStore
{
    /// <summary>
    /// Claims as many PENDING jobs as fit on the node, in one transaction:
    /// lock the node row (serialises claims per node and fences a stale worker instance),
    /// read its active allocations, lock candidate jobs with SKIP LOCKED (other nodes claim
    /// concurrently), plan cores, then move them to RUNNING with events and allocations in
    /// one statement. Nothing is spawned here; a crash after commit leaves RUNNING jobs
    /// without a pid, which recovery requeues.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string node, Guid instanceId, int batch, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var info = await LockNodeAsync(conn, node, instanceId, ct);
        if (info is null) return [];
        var (partition, cores, memory) = info.Value;
        var (busy, busyMemory, exclusive) = await ActiveAllocationsAsync(conn, node, ct);
        if (busy.Count >= cores.Length) return [];
        var locked = await LockCandidatesAsync(conn, partition, cores.Length, memory, batch, ct);
        var queue = await WithinArrayLimitsAsync(conn, locked, ct);
        var plan = CorePlanner.Plan(cores, memory, busy, busyMemory, exclusive, queue);
        if (plan.Count == 0) return [];
        var claimed = await MoveToRunningAsync(conn, node, plan, ct);
        await tx.CommitAsync(ct);
        return await LoadClaimedAsync(claimed, plan, ct);
    }

    private static async Task<(string Partition, int[] Cores, long Memory)?> LockNodeAsync(
        NpgsqlConnection conn, string node, Guid instanceId, CancellationToken ct)
    {
        await using var cmd = conn.Command(
            "SELECT partition, core_ids, memory_mb FROM nodes WHERE name = @n AND instance_id = @i AND state = 'Up' FOR UPDATE",
            P("n", NpgsqlDbType.Varchar, node), P("i", NpgsqlDbType.Uuid, instanceId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null; // fenced: another instance owns this node, or it is DOWN
        return (r.GetString(0), r.GetFieldValue<int[]>(1), r.GetInt64(2));
    }

    private static async Task<(HashSet<int> Busy, long Memory, bool Exclusive)> ActiveAllocationsAsync(
        NpgsqlConnection conn, string node, CancellationToken ct)
    {
        await using var cmd = conn.Command(
            "SELECT a.cpu_ids, a.memory_mb, j.exclusive FROM allocations a JOIN jobs j ON j.id = a.job_id WHERE a.node = @n AND a.released_at IS NULL",
            P("n", NpgsqlDbType.Varchar, node));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var busy = new HashSet<int>();
        long memory = 0;
        var exclusive = false;
        while (await r.ReadAsync(ct))
        {
            busy.UnionWith(r.GetFieldValue<int[]>(0));
            memory += r.GetInt64(1);
            exclusive |= r.GetBoolean(2);
        }
        return (busy, memory, exclusive);
    }

    private static async Task<List<ArrayCandidate>> LockCandidatesAsync(
        NpgsqlConnection conn, string partition, int nodeCpus, long nodeMemory, int batch, CancellationToken ct)
    {
        // Jobs still waiting for a dependency or their begin time are not candidates at all, so
        // they neither start nor hold back the jobs behind them.
        await using var cmd = conn.Command($"""
            SELECT id, cpus, memory_mb, exclusive, array_job_id, array_max_running FROM jobs
            WHERE state = 'PENDING' AND partition = @p AND eligible_time <= now()
              AND cpus <= @c AND memory_mb <= @m
              AND NOT {DependencySql.Waiting("jobs")}
              AND (array_max_running IS NULL OR array_max_running >
                   (SELECT count(*) FROM jobs r WHERE r.array_job_id = jobs.array_job_id AND r.state = 'RUNNING'))
            ORDER BY priority DESC, id
            LIMIT @l FOR UPDATE OF jobs SKIP LOCKED
            """,
            P("p", NpgsqlDbType.Varchar, partition), P("c", NpgsqlDbType.Integer, nodeCpus),
            P("m", NpgsqlDbType.Bigint, nodeMemory), P("l", NpgsqlDbType.Integer, batch));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<ArrayCandidate>();
        while (await r.ReadAsync(ct))
            list.Add(new ArrayCandidate(new Candidate(r.GetInt64(0), r.GetInt32(1), r.GetInt64(2), r.GetBoolean(3)),
                r.IsDBNull(4) ? null : r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt32(5)));
        return list;
    }

    private static async Task<List<long>> MoveToRunningAsync(NpgsqlConnection conn, string node, IReadOnlyList<Placement> plan, CancellationToken ct)
    {
        // cpu id arrays travel as text ('{0,1}') because unnest cannot take a ragged int[][].
        // Times are clock_timestamp(), not now(): now() is when the claim transaction began, which
        // can predate the end of a parent job whose completion this very claim saw.
        const string sql = """
            WITH picked AS (
                SELECT * FROM unnest(@ids, @cores, @mem) AS p(id, cores, mem)),
            moved AS (
                UPDATE jobs j SET state = 'RUNNING', reason = 'None', node = @n, start_time = clock_timestamp(),
                    attempt = j.attempt + 1, pid = NULL, process_start_ticks = NULL, boot_id = NULL, exit_code = NULL
                FROM picked p WHERE j.id = p.id AND j.state = 'PENDING'
                RETURNING j.id, j.attempt, p.cores, p.mem),
            ev AS (
                INSERT INTO job_events (job_id, from_state, to_state, reason, at, node)
                SELECT id, 'PENDING', 'RUNNING', 'Claimed', clock_timestamp(), @n FROM moved),
            alloc AS (
                INSERT INTO allocations (job_id, attempt, node, cpus, cpu_ids, memory_mb, created_at)
                SELECT id, attempt, @n, cardinality(cores::int[]), cores::int[], mem, now() FROM moved)
            SELECT id FROM moved
            """;
        await using var cmd = conn.Command(sql,
            P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, plan.Select(p => p.JobId).ToArray()),
            P("cores", NpgsqlDbType.Array | NpgsqlDbType.Text, plan.Select(p => "{" + string.Join(',', p.CpuIds) + "}").ToArray()),
            P("mem", NpgsqlDbType.Array | NpgsqlDbType.Bigint, plan.Select(p => p.MemoryMb).ToArray()),
            P("n", NpgsqlDbType.Varchar, node));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var ids = new List<long>();
        while (await r.ReadAsync(ct)) ids.Add(r.GetInt64(0));
        return ids;
    }

    private async Task<IReadOnlyList<ClaimedJob>> LoadClaimedAsync(List<long> ids, IReadOnlyList<Placement> plan, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        var jobs = await ctx.Jobs.AsNoTracking().Where(j => ids.Contains(j.Id)).ToDictionaryAsync(j => j.Id, ct);
        return plan.Where(p => jobs.ContainsKey(p.JobId)).Select(p => new ClaimedJob(jobs[p.JobId], p.CpuIds)).ToList();
    }
}
