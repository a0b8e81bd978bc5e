using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;

namespace Conductor.Api.WebConsole;

/// <summary>
/// <c>GET /stats/history?hours=6</c>: the overview's charts, cluster-wide, from the job rows as
/// they are now (no counters kept): per bucket, how many jobs were submitted, started and ended
/// (by end state), the queue depth at the bucket's end (submitted, not yet started nor ended)
/// and the mean wait of the jobs that started in it.
/// </summary>
internal static class HistoryEndpoint
{
    public const int MaxHours = 168;

    public sealed record Bucket(DateTime At, long Submitted, long Started, long Completed, long Failed, long Cancelled,
        long QueueDepth, double? MeanWaitSeconds);

    public sealed record Response(DateTime GeneratedAt, int Hours, int BucketSeconds, IReadOnlyList<Bucket> Buckets);

    public static async Task<Results<Ok<Response>, ValidationProblem>> Handle(string? hours, NpgsqlDataSource db, CancellationToken ct)
    {
        var span = 6;
        if (hours is not null && (!int.TryParse(hours, out span) || span < 1 || span > MaxHours))
            return Problems.Invalid("hours", $"'hours' must be an integer between 1 and {MaxHours}.");
        // 60 buckets whatever the span: 6 minutes each over 6 hours, enough points for a line.
        var bucket = span * 60;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(Sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter("span", NpgsqlDbType.Interval) { Value = TimeSpan.FromHours(span) });
        cmd.Parameters.Add(new NpgsqlParameter("step", NpgsqlDbType.Interval) { Value = TimeSpan.FromSeconds(bucket) });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var buckets = new List<Bucket>();
        DateTime now = default;
        while (await r.ReadAsync(ct))
        {
            now = r.GetDateTime(8);
            buckets.Add(new Bucket(r.GetDateTime(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
                r.IsDBNull(7) ? null : Math.Round(r.GetDouble(7), 3)));
        }
        return TypedResults.Ok(new Response(now, span, bucket, buckets));
    }

    // Bucket b covers (b - step, b]; the last one ends now. Only jobs that touched the window
    // are read (the jobs_state_id index keeps the old finished ones cheap to skip).
    private const string Sql = """
        WITH bounds AS (SELECT now() AS t_end, now() - @span AS t_start),
        edges AS (
            SELECT generate_series(b.t_start + @step, b.t_end, @step) AS at FROM bounds b),
        recent AS (
            SELECT j.submit_time, j.start_time, j.end_time, j.state FROM jobs j, bounds b
            WHERE j.end_time IS NULL OR j.end_time > b.t_start)
        SELECT e.at,
               count(*) FILTER (WHERE r.submit_time > e.at - @step AND r.submit_time <= e.at),
               count(*) FILTER (WHERE r.start_time > e.at - @step AND r.start_time <= e.at),
               count(*) FILTER (WHERE r.state = 'COMPLETED' AND r.end_time > e.at - @step AND r.end_time <= e.at),
               count(*) FILTER (WHERE r.state = 'FAILED' AND r.end_time > e.at - @step AND r.end_time <= e.at),
               count(*) FILTER (WHERE r.state = 'CANCELLED' AND r.end_time > e.at - @step AND r.end_time <= e.at),
               count(*) FILTER (WHERE r.submit_time <= e.at AND (r.start_time IS NULL OR r.start_time > e.at)
                                  AND (r.end_time IS NULL OR r.end_time > e.at)),
               avg(extract(epoch FROM r.start_time - r.submit_time)::float8)
                   FILTER (WHERE r.start_time > e.at - @step AND r.start_time <= e.at),
               (SELECT t_end FROM bounds)
        FROM edges e LEFT JOIN recent r ON true
        GROUP BY e.at ORDER BY e.at
        """;
}
