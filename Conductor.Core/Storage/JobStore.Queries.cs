using Conductor.Core.Jobs;
using Microsoft.EntityFrameworkCore;

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

    public async Task<Allocation?> GetLatestAllocationAsync(long jobId, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.Allocations.AsNoTracking().Where(a => a.JobId == jobId)
            .OrderByDescending(a => a.Id).FirstOrDefaultAsync(ct);
    }

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
