using Conductor.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// Stores the jobs as PENDING in one transaction (all or nothing), each with its first event.
    /// With an idempotency key already taken, answers the existing job instead of a new one.
    /// </summary>
    public async Task<IReadOnlyList<long>> SubmitAsync(IReadOnlyList<JobSpec> specs, CancellationToken ct)
    {
        if (specs.Count == 1 && specs[0].IdempotencyKey is { } key)
        {
            var existing = await FindByIdempotencyKeyAsync(key, ct);
            if (existing is not null) return [existing.Value];
        }
        try
        {
            return await InsertAsync(specs, ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } && specs.Count == 1
                                          && specs[0].IdempotencyKey is { } raced)
        {
            // A concurrent submit with the same key won the unique index: answer its job.
            return [await FindByIdempotencyKeyAsync(raced, ct) ?? throw new InvalidOperationException("Idempotent job vanished.", e)];
        }
    }

    private async Task<IReadOnlyList<long>> InsertAsync(IReadOnlyList<JobSpec> specs, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        await using var tx = await ctx.Database.BeginTransactionAsync(ct);
        var now = UtcNow;
        var jobs = specs.Select(s => s.ToJob(now)).ToList();
        ctx.Jobs.AddRange(jobs);
        await ctx.SaveChangesAsync(ct);
        ctx.JobEvents.AddRange(jobs.Select(j => new JobEvent
        {
            JobId = j.Id, FromState = null, ToState = JobState.Pending, Reason = "Submitted", At = now,
        }));
        await ctx.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return jobs.Select(j => j.Id).ToList();
    }

    private async Task<long?> FindByIdempotencyKeyAsync(string key, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.Jobs.Where(j => j.IdempotencyKey == key).Select(j => (long?)j.Id).FirstOrDefaultAsync(ct);
    }
}
