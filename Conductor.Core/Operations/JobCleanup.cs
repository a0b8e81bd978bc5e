using System.Globalization;
using Conductor.Core.Files;
using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Operations;

/// <summary>
/// Nightly housekeeping, safe next to running API and workers and idempotent: a second run
/// finds nothing. Steps: release leaked allocations; optionally expire old PENDING jobs through
/// the normal transition (event row and all); delete finished jobs past the retention with their
/// events, allocations and job directories, one batch per transaction.
///
/// Crash window: a batch deletes the job directories before its rows commit. A crash between
/// the two leaves rows whose directories are gone; the next run deletes them ("already gone"
/// is success). The other order could leave directories that nothing points at any more.
/// </summary>
public sealed class JobCleanup(NpgsqlDataSource db, JobStore jobs, SafeRepairs repairs)
{
    public async Task<CleanupReport> RunAsync(CleanupOptions options, CancellationToken ct)
    {
        var messages = new List<string>();
        var released = await repairs.ReleaseLeakedAllocationsAsync(options.DryRun, ct);
        messages.Add(released.Message);
        var expired = options.ExpirePendingAfter is { } age ? await ExpirePendingAsync(age, options, ct) : 0;
        messages.Add(options.ExpirePendingAfter is null ? "PENDING expiry is off"
            : $"{(options.DryRun ? "would expire" : "expired")} {expired} PENDING job(s) older than {Durations.Format(options.ExpirePendingAfter.Value)}");
        var deleted = await DeleteFinishedAsync(options, ct);
        messages.Add($"{(options.DryRun ? "would delete" : "deleted")} {deleted.Jobs} finished job(s) older than {Durations.Format(options.Retention)}"
            + $" with {deleted.Events} event(s), {deleted.Allocations} allocation(s) and {deleted.Directories} job directorie(s)"
            + (options.DataDir is null ? " (no data directory given: files left alone)" : ""));
        return new CleanupReport(options.DryRun, released.Count, expired, deleted.Jobs, deleted.Events, deleted.Allocations,
            deleted.Directories, messages);
    }

    private async Task<int> ExpirePendingAsync(TimeSpan age, CleanupOptions options, CancellationToken ct)
    {
        var total = 0;
        long after = 0;
        while (true)
        {
            var batch = await SelectIdsAsync(null, "state = 'PENDING' AND submit_time < now() - @age", age, after, options.BatchSize, false, ct);
            if (batch.Count == 0) return total;
            after = batch[^1];
            if (options.DryRun)
            {
                total += batch.Count;
                continue;
            }
            foreach (var id in batch)
            {
                // Compare-and-set: a job claimed meanwhile is simply not expired.
                if (await jobs.TransitionAsync(new Transition(id, JobState.Pending, JobState.Failed, JobReason.Expired)
                    {
                        ErrorMsg = $"Expired: still PENDING after {Durations.Format(age)}.",
                    }, ct))
                    total++;
            }
        }
    }

    private sealed record Deleted(int Jobs, long Events, long Allocations, int Directories);

    private async Task<Deleted> DeleteFinishedAsync(CleanupOptions options, CancellationToken ct)
    {
        var total = new Deleted(0, 0, 0, 0);
        long after = 0;
        while (true)
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var ids = await SelectIdsAsync(conn,
                "state IN ('COMPLETED', 'FAILED', 'CANCELLED') AND coalesce(end_time, submit_time) < now() - @age",
                options.Retention, after, options.BatchSize, lockRows: !options.DryRun, ct);
            if (ids.Count == 0) return total;
            after = ids[^1];
            var directories = DeleteDirectories(ids, options);
            var (events, allocations) = options.DryRun ? await CountDependentsAsync(conn, ids, ct) : await DeleteRowsAsync(conn, ids, ct);
            await tx.CommitAsync(ct);
            total = new Deleted(total.Jobs + ids.Count, total.Events + events, total.Allocations + allocations, total.Directories + directories);
        }
    }

    /// <summary>Keyset-paged ids (ordered, after <paramref name="after"/>), optionally row-locked for the delete.</summary>
    private async Task<List<long>> SelectIdsAsync(NpgsqlConnection? conn, string where, TimeSpan age, long after, int limit,
        bool lockRows, CancellationToken ct)
    {
        var sql = $"SELECT id FROM jobs WHERE {where} AND id > @after ORDER BY id LIMIT @limit{(lockRows ? " FOR UPDATE SKIP LOCKED" : "")}";
        await using var own = conn is null ? await db.OpenConnectionAsync(ct) : null;
        await using var cmd = (conn ?? own!).Command(sql,
            P("age", NpgsqlDbType.Interval, age), P("after", NpgsqlDbType.Bigint, after), P("limit", NpgsqlDbType.Integer, limit));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var ids = new List<long>();
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
        return ids;
    }

    private static async Task<(long Events, long Allocations)> DeleteRowsAsync(NpgsqlConnection conn, List<long> ids, CancellationToken ct)
    {
        await using var cmd = conn.Command("""
            WITH ev AS (DELETE FROM job_events WHERE job_id = ANY(@ids) RETURNING 1),
                 al AS (DELETE FROM allocations WHERE job_id = ANY(@ids) RETURNING 1),
                 jb AS (DELETE FROM jobs WHERE id = ANY(@ids) RETURNING 1)
            SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM al), (SELECT count(*) FROM jb)
            """, P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, ids.ToArray()));
        return await ReadPairAsync(cmd, ct);
    }

    private static async Task<(long Events, long Allocations)> CountDependentsAsync(NpgsqlConnection conn, List<long> ids, CancellationToken ct)
    {
        await using var cmd = conn.Command("""
            SELECT (SELECT count(*) FROM job_events WHERE job_id = ANY(@ids)), (SELECT count(*) FROM allocations WHERE job_id = ANY(@ids))
            """, P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, ids.ToArray()));
        return await ReadPairAsync(cmd, ct);
    }

    private static async Task<(long, long)> ReadPairAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// Removes (or, in a dry run, counts) each job's own directory <c>&lt;data&gt;/jobs/&lt;id&gt;/</c> and
    /// its control directory <c>&lt;data&gt;/control/&lt;id&gt;/</c>; a missing one is already done. The
    /// job's directory is the job's: it is removed through descriptors (<see cref="SafeDir.DeleteTree"/>),
    /// so a link the job left there is removed as a link and its target is never touched.
    /// </summary>
    private static int DeleteDirectories(List<long> ids, CleanupOptions options)
    {
        if (options.DataDir is null || !Directory.Exists(Path.Combine(options.DataDir, DataLayout.JobsName))) return 0;
        using var layout = DataLayout.Open(options.DataDir);
        var count = 0;
        foreach (var name in ids.Select(id => id.ToString(CultureInfo.InvariantCulture)))
        {
            var found = options.DryRun
                ? layout.Jobs.StatEntry(name) is not null || layout.Control.StatEntry(name) is not null
                : layout.Jobs.DeleteTree(name) | layout.Control.DeleteTree(name);
            if (found) count++;
        }
        return count;
    }
}
