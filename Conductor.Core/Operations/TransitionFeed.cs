using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Operations;

/// <summary>A start (PENDING → RUNNING: seconds from eligible to claim) or a finish (seconds run), read from the event log.</summary>
public sealed record TransitionSample(long EventId, bool IsStart, string State, double Seconds);

/// <summary>
/// Reads the job event log forward from a watermark, so histograms can be fed from the database
/// instead of from the processes that made the moves. Event ids come from a sequence; a
/// transaction that commits after a later id was read is missed, which a histogram tolerates.
/// </summary>
public sealed class TransitionFeed(NpgsqlDataSource db)
{
    public async Task<long> HeadAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT coalesce(max(id), 0) FROM job_events");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<IReadOnlyList<TransitionSample>> AfterAsync(long afterEventId, int limit, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            SELECT e.id, e.to_state = 'RUNNING', e.to_state,
                   CASE WHEN e.to_state = 'RUNNING' THEN extract(epoch FROM e.at - j.eligible_time)
                        ELSE extract(epoch FROM j.end_time - j.start_time) END::float8
            FROM job_events e JOIN jobs j ON j.id = e.job_id
            WHERE e.id > @after
              AND ((e.from_state = 'PENDING' AND e.to_state = 'RUNNING')
                   OR (e.from_state = 'RUNNING' AND e.to_state IN ('COMPLETED', 'FAILED', 'CANCELLED')))
            ORDER BY e.id LIMIT @limit
            """, P("after", NpgsqlDbType.Bigint, afterEventId), P("limit", NpgsqlDbType.Integer, limit));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var samples = new List<TransitionSample>();
        while (await r.ReadAsync(ct))
            if (!r.IsDBNull(3)) samples.Add(new TransitionSample(r.GetInt64(0), r.GetBoolean(1), r.GetString(2), Math.Max(0, r.GetDouble(3))));
        return samples;
    }
}
