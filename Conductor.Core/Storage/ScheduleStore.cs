using Conductor.Core.Jobs;
using Conductor.Core.Schedules;
using Microsoft.EntityFrameworkCore;

namespace Conductor.Core.Storage;

/// <summary>Reads and writes cron schedules; firing lives in <c>ScheduleStore.Fire.cs</c>.</summary>
public sealed partial class ScheduleStore(IDbContextFactory<ConductorDbContext> contexts, Npgsql.NpgsqlDataSource db, JobStore jobs, TimeProvider clock)
{
    private DateTime UtcNow => clock.GetUtcNow().UtcDateTime;

    public async Task<Schedule> CreateAsync(Schedule schedule, CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        schedule.CreatedAt = schedule.UpdatedAt = UtcNow;
        schedule.NextFireTime = NextFrom(schedule, UtcNow);
        ctx.Schedules.Add(schedule);
        await ctx.SaveChangesAsync(ct);
        return schedule;
    }

    public async Task<Schedule?> GetAsync(long id, CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        return await ctx.Schedules.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
    }

    public async Task<IReadOnlyList<Schedule>> ListAsync(CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        return await ctx.Schedules.AsNoTracking().OrderBy(s => s.Id).ToListAsync(ct);
    }

    /// <summary>Applies <paramref name="change"/> to the stored schedule and recomputes its next fire time from now.</summary>
    public async Task<Schedule?> UpdateAsync(long id, Action<Schedule> change, CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        var schedule = await ctx.Schedules.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (schedule is null) return null;
        change(schedule);
        schedule.UpdatedAt = UtcNow;
        schedule.NextFireTime = NextFrom(schedule, UtcNow);
        await ctx.SaveChangesAsync(ct);
        return schedule;
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        return await ctx.Schedules.Where(s => s.Id == id).ExecuteDeleteAsync(ct) == 1;
    }

    /// <summary>The first fire time after <paramref name="now"/>; none unless enabled (pausing forgets missed times).</summary>
    private static DateTime? NextFrom(Schedule s, DateTime now) =>
        s.Status == ScheduleStatus.Enabled && CronRules.TryParse(s.Cron, out var cron, out _) && CronRules.TryZone(s.TimeZone, out var zone)
            ? CronRules.Next(cron!, zone!, now)
            : null;
}
