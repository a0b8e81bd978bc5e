using Conductor.Core.Jobs;
using Conductor.Core.Schedules;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>A job a schedule created (or the schedule id with no job when a fire was skipped).</summary>
public sealed record Fired(long ScheduleId, DateTime FireTime, long? JobId, string? Partition);

public sealed partial class ScheduleStore
{
    /// <summary>
    /// Fires every enabled schedule whose time has come. Per schedule, in one transaction: lock
    /// its row (SKIP LOCKED: another scheduler is already on it), create the job for the fire
    /// time, advance next_fire_time. Should two schedulers still collide (e.g. one read the row
    /// before the other's commit), the unique (schedule_id, schedule_fire_time) index refuses the
    /// second job and that transaction rolls back: each fire time yields exactly one job.
    /// </summary>
    /// <param name="toSpec">Turns a stored template into a job (the API's submit parser); null if it no longer validates.</param>
    public async Task<IReadOnlyList<Fired>> FireDueAsync(Func<Schedule, JobSpec?> toSpec, CancellationToken ct)
    {
        var fired = new List<Fired>();
        for (var i = 0; i < 100; i++)
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var schedule = await LockOneDueAsync(conn, ct);
            if (schedule is null) break;
            try
            {
                fired.Add(await FireAsync(conn, schedule, toSpec, ct));
                await tx.CommitAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                await tx.RollbackAsync(ct); // a peer fired this time already; it also advanced the schedule
            }
        }
        return fired;
    }

    private async Task<Fired> FireAsync(NpgsqlConnection conn, Schedule schedule, Func<Schedule, JobSpec?> toSpec, CancellationToken ct)
    {
        var now = UtcNow;
        var due = schedule.NextFireTime!.Value;
        DateTime? fireAt = null, next = null;
        if (CronRules.TryParse(schedule.Cron, out var cron, out _) && CronRules.TryZone(schedule.TimeZone, out var zone))
            (fireAt, next) = CronRules.Advance(cron!, zone!, due, schedule.Misfire, now);
        long? jobId = null;
        JobSpec? spec = null;
        if (fireAt is { } at && !(schedule.Overlap == ScheduleOverlap.Skip && await PreviousStillActiveAsync(conn, schedule.Id, ct)))
        {
            spec = toSpec(schedule);
            if (spec is not null)
                jobId = (await jobs.InsertAsync(conn, [spec with { ScheduleId = schedule.Id, ScheduleFireTime = at, IdempotencyKey = null }], ct))[0];
        }
        await using var cmd = conn.Command(
            "UPDATE scheduled_jobs SET next_fire_time = @next, last_fire_time = COALESCE(@last, last_fire_time) WHERE id = @id",
            P("next", NpgsqlDbType.TimestampTz, next), P("last", NpgsqlDbType.TimestampTz, jobId is null ? null : fireAt),
            P("id", NpgsqlDbType.Bigint, schedule.Id));
        await cmd.ExecuteNonQueryAsync(ct);
        return new Fired(schedule.Id, due, jobId, spec?.Partition);
    }

    private static async Task<Schedule?> LockOneDueAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = conn.Command("""
            SELECT id, cron, time_zone, overlap, misfire, job_template::text, next_fire_time, account FROM scheduled_jobs
            WHERE status = 1 AND next_fire_time <= now()
            ORDER BY next_fire_time LIMIT 1 FOR UPDATE SKIP LOCKED
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new Schedule
        {
            Id = r.GetInt64(0), Cron = r.GetString(1), TimeZone = r.GetString(2), Overlap = r.GetString(3),
            Misfire = r.GetString(4), JobTemplate = r.GetString(5), NextFireTime = r.GetDateTime(6), Status = ScheduleStatus.Enabled,
            Account = r.GetString(7),
        };
    }

    private static async Task<bool> PreviousStillActiveAsync(NpgsqlConnection conn, long scheduleId, CancellationToken ct)
    {
        await using var cmd = conn.Command(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE schedule_id = @id AND state IN ('PENDING', 'RUNNING'))",
            P("id", NpgsqlDbType.Bigint, scheduleId));
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
