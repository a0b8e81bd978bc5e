using System.Data;
using Conductor.Core.Jobs;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Operations;

public sealed record NodeUsage(string Name, string Partition, string State, int CoresTotal, int CoresUsed, DateTime LastHeartbeat);

/// <summary>Jobs that finished inside the window: how many, how they ended, how long they ran.</summary>
public sealed record WindowStats(TimeSpan Window, long Completed, long Failed, long Cancelled, double? MeanRunSeconds, double? P95RunSeconds)
{
    public long Finished => Completed + Failed + Cancelled;

    /// <summary>COMPLETED / finished; null when nothing finished (no rate is not a rate of 0).</summary>
    public double? SuccessRate => Finished == 0 ? null : (double)Completed / Finished;
}

public sealed record ClusterSnapshot(DateTime At, IReadOnlyDictionary<JobState, long> JobsByState, IReadOnlyList<NodeUsage> Nodes, WindowStats Window)
{
    public long QueueDepth => JobsByState.GetValueOrDefault(JobState.Pending);
}

/// <summary>
/// The numbers behind /stats, /dashboard and /metrics, aggregated by PostgreSQL at the moment of
/// the request inside one read-only REPEATABLE READ transaction, so every figure of a snapshot
/// comes from the same instant. There are deliberately no counters to drift from the rows.
/// </summary>
public sealed class ClusterStatistics(NpgsqlDataSource db)
{
    public async Task<ClusterSnapshot> SnapshotAsync(TimeSpan window, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var at = await ScalarAsync<DateTime>(conn, "SELECT now()", ct);
        var byState = await JobsByStateAsync(conn, ct);
        var nodes = await NodesAsync(conn, ct);
        var stats = await WindowAsync(conn, window, ct);
        await tx.CommitAsync(ct);
        return new ClusterSnapshot(at, byState, nodes, stats);
    }

    private static async Task<Dictionary<JobState, long>> JobsByStateAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var counts = Enum.GetValues<JobState>().ToDictionary(s => s, _ => 0L);
        await using var cmd = conn.Command("SELECT state, count(*) FROM jobs GROUP BY state");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            if (JobStateNames.TryParse(r.GetString(0), out var state)) counts[state] = r.GetInt64(1);
        return counts;
    }

    private static async Task<List<NodeUsage>> NodesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = conn.Command("""
            SELECT n.name, n.partition, n.state, n.cpus, coalesce(sum(a.cpus), 0)::int, n.last_heartbeat
            FROM nodes n LEFT JOIN allocations a ON a.node = n.name AND a.released_at IS NULL
            GROUP BY n.name ORDER BY n.name
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var nodes = new List<NodeUsage>();
        while (await r.ReadAsync(ct))
            nodes.Add(new NodeUsage(r.GetString(0), r.GetString(1), r.GetString(2).ToUpperInvariant(), r.GetInt32(3), r.GetInt32(4), r.GetDateTime(5)));
        return nodes;
    }

    private static async Task<WindowStats> WindowAsync(NpgsqlConnection conn, TimeSpan window, CancellationToken ct)
    {
        await using var cmd = conn.Command("""
            WITH finished AS (
                SELECT state, extract(epoch FROM end_time - start_time)::float8 AS run
                FROM jobs
                WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED') AND end_time >= now() - @window)
            SELECT count(*) FILTER (WHERE state = 'COMPLETED'),
                   count(*) FILTER (WHERE state = 'FAILED'),
                   count(*) FILTER (WHERE state = 'CANCELLED'),
                   avg(run),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY run)
            FROM finished
            """, P("window", NpgsqlDbType.Interval, window));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        // Jobs cancelled before they started have no run time; avg and percentile skip their NULLs.
        return new WindowStats(window, r.GetInt64(0), r.GetInt64(1), r.GetInt64(2),
            r.IsDBNull(3) ? null : r.GetDouble(3), r.IsDBNull(4) ? null : r.GetDouble(4));
    }

    /// <summary>Finished jobs still in the table, by how and why they ended (cleanup makes these go down).</summary>
    public async Task<IReadOnlyList<(string State, string Reason, long Count)>> FinishedByReasonAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command(
            "SELECT state, reason, count(*) FROM jobs WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED') GROUP BY state, reason ORDER BY 1, 2");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<(string, string, long)>();
        while (await r.ReadAsync(ct)) rows.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
        return rows;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = conn.Command(sql);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
