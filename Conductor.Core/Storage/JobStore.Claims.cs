using Conductor.Core.Jobs;
using Conductor.Core.Scheduling;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>A job this node's worker now owns for one attempt, with the cores it is pinned to.</summary>
public sealed record ClaimedJob(Job Job, int[] CpuIds)
{
    /// <summary>The node's device ids (GPUs) it may use.</summary>
    public int[] GpuIds { get; init; } = [];
}

/// <summary>The claiming node as its worker registered it; the instance id is the fencing token.</summary>
public sealed record NodeClaim(string Name, Guid InstanceId, string Partition, int[] CoreIds, long MemoryMb)
{
    /// <summary>The node's GPUs, planned like its cores.</summary>
    public IReadOnlyList<Nodes.NodeDevice> Devices { get; init; } = [];
}

public sealed partial class JobStore
{
    /// <summary>
    /// Claims as many PENDING jobs as fit on the node, in one transaction and few round trips:
    /// (1) one batch that locks the node row (serialises claims per node and fences a stale
    /// worker instance), reads its active allocations and locks candidate jobs with SKIP LOCKED
    /// (other nodes claim concurrently); array %N limits are applied under their advisory locks;
    /// the plan (<see cref="CorePlanner"/>, with backfill) is made in memory; (2) one statement
    /// moves the planned jobs to RUNNING with their events and allocations, returns their rows and
    /// commits, in the same batch. Nothing is spawned here: a crash after the commit leaves RUNNING jobs without a
    /// pid, which recovery requeues.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(NodeClaim node, int batch, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var claimed = await ClaimAndCommitAsync(conn, tx, node, batch, [], ct);
        return claimed.Claimed;
    }

    /// <summary>
    /// Ends jobs' attempts and, in the same transaction, claims what fits on the cores that frees
    /// (see <see cref="ClaimAsync"/>): one commit instead of two between one job on a core and the
    /// next, and one for all the jobs that ended while the previous finish was being written. Each
    /// finish is <see cref="FinishAsync"/>'s, written after the node row is locked (the order the
    /// reaper takes them in too), and written whether or not the claim finds the node still ours.
    /// A finish's spawn record: the pid record of a job that ended before it was recorded, written
    /// by the finish's own statement.
    /// </summary>
    /// <returns>For each finish in order, the state its job moved to (null: someone else moved it first).</returns>
    public async Task<(IReadOnlyList<JobState?> Moved, IReadOnlyList<ClaimedJob> Claimed)> FinishAndClaimAsync(
        IReadOnlyList<(Transition Finish, SpawnRecord? Spawn)> finishes, NodeClaim node, int batch, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var writes = new List<NpgsqlBatchCommand>();
        var steps = new List<(int First, IReadOnlyList<Transition> Steps)>(finishes.Count);
        foreach (var (finish, spawn) in finishes)
        {
            var mine = FinishSteps(spawn is null ? finish : finish with { Spawn = spawn });
            steps.Add((writes.Count, mine));
            writes.AddRange(mine.Select(t => TransitionCommand([t])));
        }
        var (rows, claimed) = await ClaimAndCommitAsync(conn, tx, node, batch, writes, ct);
        // Each step returns the id it moved, and at most one step of a finish can.
        var moved = steps.Select(f => f.Steps.Where((_, i) => rows[f.First + i] > 0).Select(t => (JobState?)t.To).FirstOrDefault()).ToList();
        return (moved, claimed);
    }

    /// <summary>
    /// The claim in the caller's transaction, which it commits: in the move's own batch when jobs
    /// are moved (one round trip fewer while the node row is locked), else on its own.
    /// <paramref name="writes"/> run first in the same batch, right after the node row is locked;
    /// each must return rows (RETURNING), whose counts come back in Moved.
    /// </summary>
    private async Task<(List<int> Moved, IReadOnlyList<ClaimedJob> Claimed)> ClaimAndCommitAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, NodeClaim node, int batch, List<NpgsqlBatchCommand> writes, CancellationToken ct)
    {
        var (owned, moved, view, locked) = await ReadClaimStateAsync(conn, node, batch, writes, ct);
        var plan = owned && batch > 0 && view.BusyCores.Count < node.CoreIds.Length && locked.Count > 0
            ? CorePlanner.Plan(view, await WithinQuotasAsync(conn, node.Partition, await WithinArrayLimitsAsync(conn, locked, ct), ct), UtcNow)
            : [];
        if (plan.Count == 0)
        {
            await tx.CommitAsync(ct);
            return (moved, []);
        }
        return (moved, await MoveToRunningAndCommitAsync(conn, node.Name, plan, ct));
    }

    private static async Task<(bool Owned, List<int> Moved, NodeView View, List<ArrayCandidate> Queue)> ReadClaimStateAsync(
        NpgsqlConnection conn, NodeClaim node, int batch, List<NpgsqlBatchCommand> writes, CancellationToken ct)
    {
        await using var cmd = new NpgsqlBatch(conn);
        cmd.BatchCommands.Add(KeyedPlans());
        cmd.BatchCommands.Add(Batched(
            """
            SELECT 1 FROM nodes n WHERE name = @n AND instance_id = @i AND state = 'Up' AND drained_since IS NULL
              AND NOT EXISTS (SELECT 1 FROM partitions p WHERE p.name = n.partition AND p.paused)
            FOR UPDATE
            """,
            P("n", NpgsqlDbType.Varchar, node.Name), P("i", NpgsqlDbType.Uuid, node.InstanceId)));
        foreach (var write in writes) cmd.BatchCommands.Add(write);
        var claiming = batch > 0;
        if (claiming) cmd.BatchCommands.Add(Batched("""
            SELECT a.cpu_ids, a.memory_mb, j.exclusive, j.start_time + make_interval(secs => j.time_limit_seconds), a.gpu_ids
            FROM allocations a JOIN jobs j ON j.id = a.job_id WHERE a.node = @n AND a.released_at IS NULL
            """, P("n", NpgsqlDbType.Varchar, node.Name)));
        // Jobs still waiting for a dependency or their begin time are not candidates at all, so
        // they neither start nor hold back the jobs behind them.
        if (claiming) cmd.BatchCommands.Add(Batched($"""
            SELECT id, cpus, memory_mb, exclusive, time_limit_seconds, array_job_id, array_max_running, account,
                EXISTS (SELECT 1 FROM account_quotas q WHERE q.account = jobs.account AND q.partition IN (@p, '*')) AS quota,
                gpus, gpu_model
            FROM jobs
            WHERE state = 'PENDING' AND hold IS NULL AND partition = @p AND eligible_time <= now()
              AND cpus <= @c AND memory_mb <= @m AND gpus <= @g
              AND NOT {DependencySql.Waiting("jobs")}
              AND (array_max_running IS NULL OR array_max_running >
                   (SELECT count(*) FROM jobs r WHERE r.array_job_id = jobs.array_job_id AND r.state = 'RUNNING'))
            ORDER BY priority DESC, id
            LIMIT @l FOR UPDATE OF jobs SKIP LOCKED
            """,
            P("p", NpgsqlDbType.Varchar, node.Partition), P("c", NpgsqlDbType.Integer, node.CoreIds.Length),
            P("m", NpgsqlDbType.Bigint, node.MemoryMb), P("l", NpgsqlDbType.Integer, batch), P("g", NpgsqlDbType.Integer, node.Devices.Count)));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.NextResultAsync(ct);
        var owned = await r.ReadAsync(ct); // no row: another instance owns this node, or it is DOWN, drained or its partition paused
        var moved = new List<int>(writes.Count);
        foreach (var _ in writes)
        {
            await r.NextResultAsync(ct);
            var rows = 0;
            while (await r.ReadAsync(ct)) rows++;
            moved.Add(rows);
        }
        var busy = new HashSet<int>();
        var busyGpus = new HashSet<int>();
        var running = new List<RunningSlot>();
        long memory = 0;
        var exclusive = false;
        var queue = new List<ArrayCandidate>();
        if (!claiming) return (owned, moved, new NodeView(node.CoreIds, node.MemoryMb, busy, memory, exclusive, running), queue);
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var cores = r.GetFieldValue<int[]>(0);
            busy.UnionWith(cores);
            memory += r.GetInt64(1);
            exclusive |= r.GetBoolean(2);
            var gpus = r.GetFieldValue<int[]>(4);
            busyGpus.UnionWith(gpus);
            running.Add(new RunningSlot(cores.Length, r.IsDBNull(3) ? null : r.GetDateTime(3)) { GpuIds = gpus });
        }
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
            queue.Add(new ArrayCandidate(
                new Candidate(r.GetInt64(0), r.GetInt32(1), r.GetInt64(2), r.GetBoolean(3), r.IsDBNull(4) ? null : r.GetInt32(4))
                {
                    Gpus = new GresRequest(r.GetInt32(9), r.IsDBNull(10) ? null : r.GetString(10)),
                },
                r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt32(6), r.GetString(7), r.GetBoolean(8)));
        // Made once the allocations are read: the busy memory and exclusivity are values, not references.
        return (owned, moved, new NodeView(node.CoreIds, node.MemoryMb, busy, memory, exclusive, running) { Devices = node.Devices, BusyGpus = busyGpus }, queue);
    }

    /// <summary>
    /// Moves the planned jobs and commits, in one batch. The claimed jobs are returned only once the
    /// commit's own answer has been read: a job must never be spawned on a claim that did not commit.
    /// </summary>
    private async Task<List<ClaimedJob>> MoveToRunningAndCommitAsync(NpgsqlConnection conn, string node, IReadOnlyList<Placement> plan, CancellationToken ct)
    {
        // cpu (and gpu) id arrays travel as text ('{0,1}') because unnest cannot take a ragged int[][].
        // Times are clock_timestamp(), not now(): now() is when the claim transaction began, which
        // can predate the end of a parent job whose completion this very claim saw.
        var sql = (JobMoveSql.Between(JobState.Pending, JobState.Running, "SELECT * FROM unnest(@ids, @cores, @mem, @gpus) AS t(id, cores, mem, gpu_list)",
            """
            reason = 'None', node = @n, start_time = clock_timestamp(),
                attempt = j.attempt + 1, pid = NULL, process_start_ticks = NULL, boot_id = NULL, exit_code = NULL
            """) with
        {
            Returning = "j.*, t.cores, t.mem, t.gpu_list",
            EventReason = "'Claimed'", EventNode = "@n", EventTime = "clock_timestamp()",
            Also = """
                ,
                alloc AS (
                    INSERT INTO allocations (job_id, attempt, node, cpus, cpu_ids, memory_mb, created_at, gpu_ids)
                    SELECT id, attempt, @n, cardinality(cores::int[]), cores::int[], mem, now(), gpu_list::int[] FROM moved)
                """,
            Result = "SELECT * FROM moved",
        }).Text;
        var move = Batched(sql,
            P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, plan.Select(p => p.JobId).ToArray()),
            P("cores", NpgsqlDbType.Array | NpgsqlDbType.Text, plan.Select(p => "{" + string.Join(',', p.CpuIds) + "}").ToArray()),
            P("mem", NpgsqlDbType.Array | NpgsqlDbType.Bigint, plan.Select(p => p.MemoryMb).ToArray()),
            P("gpus", NpgsqlDbType.Array | NpgsqlDbType.Text, plan.Select(p => "{" + string.Join(',', p.GpuIds) + "}").ToArray()),
            P("n", NpgsqlDbType.Varchar, node));
        await using var cmd = new NpgsqlBatch(conn) { BatchCommands = { move, new NpgsqlBatchCommand("COMMIT") } };
        var jobs = new Dictionary<long, Job>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            var ordinals = JobRows.Ordinals(r);
            while (await r.ReadAsync(ct))
            {
                var job = JobRows.Read(r, ordinals);
                jobs[job.Id] = job;
            }
            while (await r.NextResultAsync(ct)) { } // the COMMIT: it throws here if it failed
        }
        return plan.Where(p => jobs.ContainsKey(p.JobId)).Select(p => new ClaimedJob(jobs[p.JobId], p.CpuIds) { GpuIds = p.GpuIds }).ToList();
    }
}
