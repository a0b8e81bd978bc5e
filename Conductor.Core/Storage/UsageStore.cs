using Conductor.Core.Quotas;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>One group of the usage report: core-hours used, jobs by state, mean wait and mean efficiencies.</summary>
public sealed record UsageRow(
    string Group, double CoreHours, long Jobs, long Pending, long Running, long Completed, long Failed, long Cancelled,
    double? MeanWaitSeconds, double? MeanCpuEfficiency, double? MeanMemoryEfficiency);

/// <summary>How the usage report groups jobs.</summary>
public enum UsageGroup
{
    Account,
    User,
    Partition,
}

/// <summary>
/// Accounting from the job rows alone (no counters kept elsewhere): the usage report, and the
/// per-account quotas the claim enforces.
/// </summary>
public sealed class UsageStore(IDbContextFactory<ConductorDbContext> contexts, NpgsqlDataSource db)
{
    /// <summary>
    /// The usage of the jobs submitted in [from, to), grouped. Core-hours: cores x run time (to now
    /// for a running job). Mean wait: start - submit over the jobs that started. Efficiencies as
    /// seff: CPU time / (elapsed x cores) and peak memory / reserved, over the finished jobs that have them.
    /// </summary>
    public async Task<IReadOnlyList<UsageRow>> UsageAsync(DateTime from, DateTime to, UsageGroup group, string? account, CancellationToken ct)
    {
        var key = group switch
        {
            UsageGroup.User => "COALESCE(u.user_name, j.account)",
            UsageGroup.Partition => "j.partition",
            _ => "j.account",
        };
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command($"""
            SELECT {key} AS g,
                COALESCE(sum(j.cpus * extract(epoch FROM COALESCE(j.end_time, now()) - j.start_time)) FILTER (WHERE j.start_time IS NOT NULL), 0) / 3600.0,
                count(*),
                count(*) FILTER (WHERE j.state = 'PENDING'), count(*) FILTER (WHERE j.state = 'RUNNING'),
                count(*) FILTER (WHERE j.state = 'COMPLETED'), count(*) FILTER (WHERE j.state = 'FAILED'),
                count(*) FILTER (WHERE j.state = 'CANCELLED'),
                avg(extract(epoch FROM j.start_time - j.submit_time)) FILTER (WHERE j.start_time IS NOT NULL),
                avg(LEAST(1, j.cpu_seconds / (j.cpus * extract(epoch FROM j.end_time - j.start_time))))
                    FILTER (WHERE j.cpu_seconds IS NOT NULL AND j.end_time > j.start_time),
                avg(LEAST(1, j.peak_memory_bytes / (j.memory_mb * 1048576.0))) FILTER (WHERE j.peak_memory_bytes IS NOT NULL AND j.memory_mb > 0)
            FROM jobs j LEFT JOIN account_users u ON u.account = j.account
            WHERE j.submit_time >= @from AND j.submit_time < @to AND (@acct::varchar IS NULL OR j.account = @acct)
            GROUP BY 1 ORDER BY 1
            """, P("from", NpgsqlDbType.TimestampTz, from), P("to", NpgsqlDbType.TimestampTz, to), P("acct", NpgsqlDbType.Varchar, account));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<UsageRow>();
        while (await r.ReadAsync(ct))
            rows.Add(new UsageRow(r.GetString(0), (double)r.GetDecimal(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
                r.GetInt64(6), r.GetInt64(7), Num(r, 8), Num(r, 9), Num(r, 10)));
        return rows;
    }

    private static double? Num(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : Convert.ToDouble(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);

    public async Task<IReadOnlyList<AccountQuota>> QuotasAsync(string account, CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        return await ctx.AccountQuotas.AsNoTracking().Where(q => q.Account == account).OrderBy(q => q.Partition).ToListAsync(ct);
    }

    /// <summary>Sets (or, with both limits null, removes) an account's quota in a partition ("*" = each partition without its own).</summary>
    public async Task SetQuotaAsync(string account, string partition, int? maxCpus, int? maxRunningJobs, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = maxCpus is null && maxRunningJobs is null
            ? conn.Command("DELETE FROM account_quotas WHERE account = @a AND partition = @p",
                P("a", NpgsqlDbType.Varchar, account), P("p", NpgsqlDbType.Varchar, partition))
            : conn.Command("""
                INSERT INTO account_quotas (account, partition, max_cpus, max_running_jobs, updated_at) VALUES (@a, @p, @c, @j, now())
                ON CONFLICT (account, partition) DO UPDATE SET max_cpus = excluded.max_cpus, max_running_jobs = excluded.max_running_jobs,
                    updated_at = excluded.updated_at
                """, P("a", NpgsqlDbType.Varchar, account), P("p", NpgsqlDbType.Varchar, partition),
                P("c", NpgsqlDbType.Integer, maxCpus), P("j", NpgsqlDbType.Integer, maxRunningJobs));
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
