using Conductor.Core.Scheduling;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// The quota a partition's jobs of an account are under: the partition's own row, else the
    /// "*" row. Shared by the claim and the wait reason, so both read the same limits.
    /// </summary>
    internal const string QuotaOf = """
        (SELECT q FROM account_quotas q WHERE q.account = {0} AND q.partition IN ({1}, '*')
         ORDER BY q.partition = '*' LIMIT 1)
        """;

    /// <summary>
    /// Enforces per-account quotas (max cores held, max running jobs, per partition) inside the
    /// claim transaction, as <see cref="WithinArrayLimitsAsync"/> does array limits: each limited
    /// account is serialised with a transaction-scoped advisory lock (in name order: no deadlock
    /// between two claimers), its RUNNING jobs in the partition are summed after the lock, and
    /// only the candidates that still fit are kept. Costs nothing (no statement) when no candidate's
    /// account has a quota; else one statement per limited account.
    /// </summary>
    private static async Task<List<Candidate>> WithinQuotasAsync(NpgsqlConnection conn, string partition, List<ArrayCandidate> queue, CancellationToken ct)
    {
        var limited = queue.Where(c => c.HasQuota).Select(c => c.Account).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (limited.Length == 0) return queue.Select(c => c.Job).ToList();
        var room = new Dictionary<string, (long Cpus, long Jobs)>();
        foreach (var account in limited)
        {
            await using var cmd = conn.Command($"""
                SELECT pg_advisory_xact_lock(hashtext('conductor.quota'), hashtext(@a));
                SELECT (q).max_cpus, (q).max_running_jobs,
                    (SELECT coalesce(sum(cpus), 0) FROM jobs WHERE state = 'RUNNING' AND account = @a AND partition = @p),
                    (SELECT count(*) FROM jobs WHERE state = 'RUNNING' AND account = @a AND partition = @p)
                FROM (SELECT {string.Format(QuotaOf, "@a", "@p")} AS q) x
                """, P("a", NpgsqlDbType.Varchar, account), P("p", NpgsqlDbType.Varchar, partition));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            room[account] = (
                r.IsDBNull(0) ? long.MaxValue : r.GetInt32(0) - r.GetInt64(2),
                r.IsDBNull(1) ? long.MaxValue : r.GetInt32(1) - r.GetInt64(3));
        }
        var kept = new List<Candidate>();
        foreach (var c in queue)
        {
            if (c.HasQuota)
            {
                var (cpus, jobs) = room[c.Account];
                if (cpus < c.Job.Cpus || jobs < 1) continue;
                room[c.Account] = (cpus - c.Job.Cpus, jobs - 1);
            }
            kept.Add(c.Job);
        }
        return kept;
    }
}
