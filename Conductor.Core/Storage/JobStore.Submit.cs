using System.Text.Json;
using Conductor.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// Stores the jobs as PENDING in one transaction (all or nothing), each with its first event.
    /// With an idempotency key already taken, answers the existing job instead of a new one.
    /// The returned ids are in the order of <paramref name="specs"/>.
    /// </summary>
    public async Task<IReadOnlyList<long>> SubmitAsync(IReadOnlyList<JobSpec> specs, CancellationToken ct)
    {
        if (specs.Count == 0) return [];
        // Only the first spec carries a key (a single job, or the first task of an array).
        if (specs[0].IdempotencyKey is { } key)
        {
            var existing = await FindByIdempotencyKeyAsync(key, ct);
            if (existing.Count > 0) return existing;
        }
        try
        {
            return await InsertAsync(specs, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && specs[0].IdempotencyKey is { } raced)
        {
            // A concurrent submit with the same key won the unique index (we waited for its
            // commit there): answer its job.
            var existing = await FindByIdempotencyKeyAsync(raced, ct);
            return existing.Count > 0 ? existing : throw new InvalidOperationException("Idempotent job vanished.", e);
        }
    }

    /// <summary>
    /// One set-based INSERT fed by arrays (one parameter per column, not per row), so 10,000
    /// jobs cost one round trip instead of 10,000 tracked entities. The statement takes the ids
    /// from the sequence itself and answers them in input order (see <see cref="InsertSql"/>).
    /// </summary>
    /// <remarks>
    /// No explicit transaction: the insert of jobs, edges and events is one statement, atomic by
    /// itself, and sequence values are never rolled back anyway. That saves the hot single-submit
    /// path a round trip (BEGIN/COMMIT) per request.
    /// </remarks>
    internal async Task<long[]> InsertAsync(IReadOnlyList<JobSpec> specs, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await InsertAsync(conn, specs, ct);
    }

    /// <summary>The insert inside the caller's transaction (the scheduler fires within its schedule lock).</summary>
    internal async Task<long[]> InsertAsync(NpgsqlConnection conn, IReadOnlyList<JobSpec> specs, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn) { BatchCommands = { GenericPlans(), Batched(InsertSql, InsertParameters(specs, UtcNow)) } };
        var ids = new List<long>(specs.Count);
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct)) ids.Add(r.GetInt64(0));
        }
        if (ids.Count != specs.Count) throw new InvalidOperationException($"Inserted {ids.Count} of {specs.Count} jobs.");
        return [.. ids];
    }

    /// <summary>The whole jobs the keys name (a bulk submit keys each of its jobs), in id order; none when no key is taken.</summary>
    public async Task<IReadOnlyList<Job>> FindByIdempotencyKeysAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        return await ctx.Jobs.AsNoTracking().Where(j => j.IdempotencyKey != null && keys.Contains(j.IdempotencyKey)).OrderBy(j => j.Id).ToListAsync(ct);
    }

    /// <summary>The job the key names and, if it heads an array, the array's other tasks; in id order.</summary>
    private async Task<IReadOnlyList<long>> FindByIdempotencyKeyAsync(string key, CancellationToken ct)
    {
        await using var ctx = await ContextAsync(ct);
        var head = await ctx.Jobs.Where(j => j.IdempotencyKey == key).Select(j => (long?)j.Id).FirstOrDefaultAsync(ct);
        if (head is not { } id) return [];
        return await ctx.Jobs.Where(j => j.Id == id || j.ArrayJobId == id).OrderBy(j => j.Id).Select(j => j.Id).ToListAsync(ct);
    }
}
