using Conductor.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Conductor.Core.Storage;

/// <summary>The jobs a bulk requeue picks: a state, and optionally a reason, an account, and jobs ended (or submitted) since.</summary>
public sealed record RequeueFilter(JobState State, string? Reason, string? Account, DateTime? Since, int Limit);

public sealed partial class JobStore
{
    /// <summary>The jobs a bulk requeue matches, oldest first, at most <see cref="RequeueFilter.Limit"/>.</summary>
    public async Task<IReadOnlyList<Job>> MatchRequeueAsync(RequeueFilter filter, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        var query = ctx.Jobs.AsNoTracking().Where(j => j.State == filter.State);
        if (filter.Reason is { } reason) query = query.Where(j => j.Reason == reason);
        if (filter.Account is { } account) query = query.Where(j => j.Account == account);
        if (filter.Since is { } since) query = query.Where(j => (j.EndTime ?? j.SubmitTime) >= since);
        return await query.OrderBy(j => j.Id).Take(filter.Limit).ToListAsync(ct);
    }

    /// <summary>
    /// Resubmits finished jobs as new PENDING copies, once each: a copy's idempotency key is derived
    /// from the job it copies, so the same request again answers the same copies. The old job gets
    /// an event row (unchanged state, reason Resubmitted) naming its copy and who asked.
    /// </summary>
    /// <returns>For each old job in order, its copy's id.</returns>
    public async Task<IReadOnlyList<long>> ResubmitOnceAsync(IReadOnlyList<(Job Old, JobSpec Copy)> jobs, string by, CancellationToken ct)
    {
        if (jobs.Count == 0) return [];
        var keys = jobs.Select(j => j.Copy.IdempotencyKey ?? throw new ArgumentException("A copy needs its idempotency key.", nameof(jobs))).ToList();
        var existing = (await FindByIdempotencyKeysAsync(keys, ct)).ToDictionary(j => j.IdempotencyKey!, j => j.Id);
        var missing = jobs.Where(j => !existing.ContainsKey(j.Copy.IdempotencyKey!)).ToList();
        if (missing.Count > 0)
        {
            var ids = await InsertAsync(missing.Select(m => m.Copy).ToList(), ct);
            await using var ctx = await ContextAsync(ct);
            var now = UtcNow;
            for (var i = 0; i < missing.Count; i++)
            {
                existing[missing[i].Copy.IdempotencyKey!] = ids[i];
                ctx.JobEvents.Add(new JobEvent
                {
                    JobId = missing[i].Old.Id, FromState = missing[i].Old.State, ToState = missing[i].Old.State, Reason = "Resubmitted", At = now,
                    Message = $"Requeued as job {ids[i]} by {by}.",
                });
            }
            await ctx.SaveChangesAsync(ct);
        }
        return keys.Select(k => existing[k]).ToList();
    }
}
