using Conductor.Core.Scheduling;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>A locked claim candidate, with the array it belongs to and that array's %N limit.</summary>
/// <param name="HasQuota">its account has a quota in this partition (<see cref="JobStore.WithinQuotasAsync"/>)</param>
internal sealed record ArrayCandidate(Candidate Job, long? ArrayJobId, int? MaxRunning, string Account = "", bool HasQuota = false);

public sealed partial class JobStore
{
    /// <summary>
    /// Enforces an array's <c>%N</c> inside the claim transaction. The candidate query already
    /// drops tasks of arrays at their limit, but it counts per row: one batch could take several
    /// tasks of one array, and two nodes could each take the last free slot. So each limited
    /// array is serialised with a transaction-scoped advisory lock (taken in id order, so two
    /// claimers cannot deadlock), its RUNNING tasks are counted after the lock (READ COMMITTED
    /// sees the previous holder's commit), and only that many candidates are kept.
    /// </summary>
    private static async Task<List<ArrayCandidate>> WithinArrayLimitsAsync(NpgsqlConnection conn, List<ArrayCandidate> queue, CancellationToken ct)
    {
        var limited = queue.Where(c => c.MaxRunning is not null).Select(c => c.ArrayJobId!.Value).Distinct().Order().ToArray();
        if (limited.Length == 0) return queue;
        var free = new Dictionary<long, long>();
        foreach (var array in limited)
        {
            await using var cmd = conn.Command("""
                SELECT pg_advisory_xact_lock(hashtext('conductor.array'), hashtext(@a::text));
                SELECT count(*) FROM jobs WHERE array_job_id = @a AND state = 'RUNNING'
                """, P("a", NpgsqlDbType.Bigint, array));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            free[array] = queue.First(c => c.ArrayJobId == array).MaxRunning!.Value - r.GetInt64(0);
        }
        var kept = new List<ArrayCandidate>();
        foreach (var c in queue)
        {
            if (c.MaxRunning is not null && free[c.ArrayJobId!.Value]-- <= 0) continue;
            kept.Add(c);
        }
        return kept;
    }
}
