using Conductor.Core.Jobs;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// Ends PENDING jobs whose dependency can never be satisfied (afterok on a job that failed or
    /// was cancelled, afternotok on one that completed) as FAILED <c>DependencyNeverSatisfied</c>,
    /// each through <see cref="TransitionAsync"/>. Repeats so a chain (C afterok B afterok A)
    /// fails all the way down in one call. Idempotent and safe to run from every worker at once:
    /// a lost compare-and-set only means a peer did it.
    /// </summary>
    /// <returns>How many jobs this call failed.</returns>
    public async Task<int> FailNeverSatisfiedAsync(CancellationToken ct)
    {
        var failed = 0;
        for (var round = 0; round < 50; round++)
        {
            var doomed = await NeverSatisfiedAsync(ct);
            if (doomed.Count == 0) break;
            foreach (var (jobId, edge) in doomed)
            {
                var moved = await TransitionAsync(new Transition(jobId, JobState.Pending, JobState.Failed, JobReason.DependencyNeverSatisfied)
                {
                    ErrorMsg = $"Dependency {edge} can never be satisfied.",
                }, ct);
                if (moved) failed++;
            }
        }
        return failed;
    }

    private async Task<List<(long JobId, string Edge)>> NeverSatisfiedAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command($"""
            SELECT DISTINCT ON (c.id) c.id, d.kind || ':' || p.id || ' (job ' || p.id || ' ended ' || p.state || ')'
            FROM jobs c
            JOIN job_dependencies d ON d.job_id = c.id
            JOIN jobs p ON p.id = d.depends_on
            WHERE c.state = 'PENDING' AND ({DependencySql.NeverSatisfied})
            ORDER BY c.id
            LIMIT 500
            """);
        var list = new List<(long, string)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add((r.GetInt64(0), r.GetString(1)));
        return list;
    }
}

public sealed partial class JobStore
{
    /// <summary>
    /// Which of these job ids do not exist for <paramref name="account"/>: missing, or (account
    /// given) another account's. One statement either way, so an answer takes as long and reads
    /// the same whether a job is absent or merely someone else's. Null account: every job counts.
    /// </summary>
    public async Task<IReadOnlySet<long>> MissingJobsAsync(IReadOnlyCollection<long> ids, string? account, CancellationToken ct)
    {
        if (ids.Count == 0) return new HashSet<long>();
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command(
            "SELECT i FROM unnest(@ids) i WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE id = i AND (@account::text IS NULL OR account = @account::text))",
            P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, ids.Distinct().ToArray()),
            P("account", NpgsqlDbType.Text, account));
        var missing = new HashSet<long>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) missing.Add(r.GetInt64(0));
        return missing;
    }
}
