using System.Data;
using Conductor.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>Filters for the job list; newest first, keyset-paged by id.</summary>
public sealed record JobFilter(JobState? State, string? Account, string? Name, int Limit, long? Before);

public sealed partial class JobStore
{
    public async Task<Job?> GetAsync(long id, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct);
    }

    public async Task<JobState?> GetStateAsync(long id, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.Jobs.Where(j => j.Id == id).Select(j => (JobState?)j.State).FirstOrDefaultAsync(ct);
    }

    /// <summary>
    /// A job as <c>GET /jobs/query</c> shows it, in one round trip: the columns of the view (not
    /// the script or the environment, which may be large) and the cores of its latest allocation
    /// (<c>ix_allocations_job</c>).
    /// </summary>
    public async Task<JobStatus?> GetStatusAsync(long id, CancellationToken ct)
    {
        const string sql = """
            SELECT j.id, j.name, j.account, j.partition, j.cpus, j.priority, j.time_limit_seconds, j.state, j.reason,
                   j.error_msg, j.submit_time, j.eligible_time, j.start_time, j.end_time, j.attempt, j.node, j.pid,
                   j.work_dir, j.stdout_path, j.stderr_path, j.exit_code, a.cpu_ids, j.run_uid, j.cpu_seconds, j.peak_memory_bytes,
                   j.data_source, j.hold, j.requeue, j.cpu_user_seconds, j.cpu_system_seconds, j.memory_mb, j.gpus, j.gpu_model, a.gpu_ids
            FROM jobs j
            LEFT JOIN LATERAL (SELECT cpu_ids, gpu_ids FROM allocations WHERE job_id = j.id ORDER BY id DESC LIMIT 1) a ON true
            WHERE j.id = @id
            """;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command(sql, P("id", NpgsqlDbType.Bigint, id));
        await using var r = await cmd.ExecuteReaderAsync(CommandBehavior.SingleRow, ct);
        if (!await r.ReadAsync(ct)) return null;
        var job = new Job
        {
            Id = r.GetInt64(0), Name = Text(r, 1), Account = r.GetString(2), Partition = r.GetString(3), Cpus = r.GetInt32(4),
            Priority = r.GetInt32(5), TimeLimitSeconds = Int(r, 6), State = ConductorDbContext.ParseState(r.GetString(7)), Reason = r.GetString(8),
            ErrorMsg = Text(r, 9), SubmitTime = r.GetDateTime(10), EligibleTime = r.GetDateTime(11), StartTime = Time(r, 12),
            EndTime = Time(r, 13), Attempt = r.GetInt32(14), Node = Text(r, 15), Pid = Int(r, 16), WorkDir = Text(r, 17),
            StdoutPath = Text(r, 18), StderrPath = Text(r, 19), ExitCode = Int(r, 20), RunUid = Int(r, 22),
            CpuSeconds = r.IsDBNull(23) ? null : r.GetDouble(23), PeakMemoryBytes = r.IsDBNull(24) ? null : r.GetInt64(24),
            DataSource = r.GetString(25), Hold = Text(r, 26), Requeue = r.GetBoolean(27),
            CpuUserSeconds = r.IsDBNull(28) ? null : r.GetDouble(28), CpuSystemSeconds = r.IsDBNull(29) ? null : r.GetDouble(29),
            MemoryMb = r.GetInt64(30), Gpus = r.GetInt32(31), GpuModel = Text(r, 32),
        };
        return new JobStatus(job, r.IsDBNull(21) ? null : r.GetFieldValue<int[]>(21)) { LatestGpuIds = r.IsDBNull(33) ? null : r.GetFieldValue<int[]>(33) };
    }

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static int? Int(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);

    private static DateTime? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDateTime(i);

    public async Task<IReadOnlyList<Job>> ListAsync(JobFilter filter, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        var query = ctx.Jobs.AsNoTracking();
        if (filter.State is { } state) query = query.Where(j => j.State == state);
        if (filter.Account is { } account) query = query.Where(j => j.Account == account);
        if (filter.Name is { } name) query = query.Where(j => j.Name == name);
        if (filter.Before is { } before) query = query.Where(j => j.Id < before);
        return await query.OrderByDescending(j => j.Id).Take(filter.Limit).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<JobEvent>> EventsAsync(long jobId, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.JobEvents.AsNoTracking().Where(e => e.JobId == jobId).OrderBy(e => e.Id).ToListAsync(ct);
    }

    /// <summary>
    /// The RUNNING jobs a node holds, as recovery sees them: everything but the script and the
    /// environment (a node may hold thousands of jobs with megabyte scripts).
    /// </summary>
    public async Task<IReadOnlyList<Job>> RunningOnNodeAsync(string node, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.Jobs.AsNoTracking().Where(j => j.Node == node && j.State == JobState.Running)
            .Select(j => new Job
            {
                Id = j.Id, Name = j.Name, Account = j.Account, Partition = j.Partition, Cpus = j.Cpus, MemoryMb = j.MemoryMb,
                TimeLimitSeconds = j.TimeLimitSeconds, WorkDir = j.WorkDir, StandardOutput = j.StandardOutput,
                StandardError = j.StandardError, State = j.State, Reason = j.Reason, SubmitTime = j.SubmitTime,
                StartTime = j.StartTime, Attempt = j.Attempt, CancelRequested = j.CancelRequested, Node = j.Node,
                Pid = j.Pid, ProcessStartTicks = j.ProcessStartTicks, BootId = j.BootId, MaxRetries = j.MaxRetries,
                ArrayJobId = j.ArrayJobId, ArrayTaskId = j.ArrayTaskId,
            })
            .ToListAsync(ct);
    }

    /// <summary>Cores held by each active allocation on a node, by job id.</summary>
    public async Task<Dictionary<long, int>> ActiveCoresByJobAsync(string node, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.Allocations.Where(a => a.Node == node && a.ReleasedAt == null)
            .ToDictionaryAsync(a => a.JobId, a => a.Cpus, ct);
    }

    /// <summary>Ids of this node's RUNNING jobs whose cancel was requested.</summary>
    public async Task<IReadOnlyList<long>> CancelRequestedOnNodeAsync(string node, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.Jobs.Where(j => j.Node == node && j.State == JobState.Running && j.CancelRequested)
            .Select(j => j.Id).ToListAsync(ct);
    }
}

/// <summary>
/// A job without its script and environment, and the cores of its latest allocation (null when it
/// never held one).
/// </summary>
public sealed record JobStatus(Job Job, int[]? LatestCpuIds)
{
    /// <summary>The GPUs of the job's latest allocation, if it ever held one.</summary>
    public int[]? LatestGpuIds { get; init; }
}

public sealed partial class JobStore
{
    /// <summary>
    /// Jobs failed as NodeFail on this node that recorded a pid in this boot: if one of them
    /// still runs when the node comes back, it is a survivor that must be killed (fencing).
    /// </summary>
    public async Task<IReadOnlyList<Job>> NodeFailedSurvivorCandidatesAsync(string node, string bootId, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        var since = UtcNow.AddDays(-7);
        return await ctx.Jobs.AsNoTracking()
            .Where(j => j.Node == node && j.State == JobState.Failed && j.Reason == JobReason.NodeFail
                        && j.Pid != null && j.BootId == bootId && j.EndTime > since)
            .ToListAsync(ct);
    }
}

public sealed partial class JobStore
{
    /// <summary>Records the node's verdict on each of its RUNNING jobs' processes (for the health check).</summary>
    public async Task ReportPidLivenessAsync(string node, IReadOnlyCollection<long> alive, IReadOnlyCollection<long> dead, CancellationToken ct)
    {
        if (alive.Count + dead.Count == 0) return;
        await using var ctx = await ContextAsync(ct);
        var all = alive.Concat(dead).ToList();
        var aliveIds = alive.ToList();
        await ctx.Jobs.Where(j => j.Node == node && j.State == JobState.Running && all.Contains(j.Id))
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.PidAlive, j => aliveIds.Contains(j.Id))
                .SetProperty(j => j.PidCheckedAt, DateTime.UtcNow), ct);
    }
}
