using Conductor.Api.Auth;
using System.Text.Json;
using Conductor.Api.Jobs;
using Conductor.Api.Messaging;
using Conductor.Core.Jobs;
using Conductor.Core.Schedules;
using Conductor.Core.Storage;
using Microsoft.Extensions.Options;

namespace Conductor.Api.Schedules;

/// <summary>
/// Fires due cron schedules from every API process; the store's row locks and the unique
/// (schedule_id, fire time) index make the processes agree on one job per fire time. A store
/// outage only delays fires (the loop backs off); missed times then follow the misfire policy.
/// </summary>
internal sealed class ScheduleRunner(ScheduleStore schedules, WakeUpPublisher wakeUps, IOptions<ApiOptions> options, ILogger<ScheduleRunner> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                foreach (var fire in await schedules.FireDueAsync(ToSpec, ct))
                {
                    if (fire.JobId is { } id) log.LogInformation("Schedule {ScheduleId} fired for {FireTime:O}: job {JobId}", fire.ScheduleId, fire.FireTime, id);
                    else log.LogInformation("Schedule {ScheduleId} skipped its fire time {FireTime:O}", fire.ScheduleId, fire.FireTime);
                    if (fire.Partition is { } partition) wakeUps.Submitted(partition);
                }
                backoff = TimeSpan.Zero;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                backoff = TimeSpan.FromMilliseconds(Math.Clamp(backoff.TotalMilliseconds * 2, 500, 10_000));
                log.LogWarning("Firing schedules failed, retrying in {Backoff}: {Error}", backoff, e.Message);
            }
            await Task.Delay(backoff + TimeSpan.FromMilliseconds(options.Value.SchedulerPollMilliseconds), ct)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// The template was validated when stored; it is parsed again so later limits apply too. Its job
    /// runs under the schedule's account (its creator's) unless the template names one.
    /// </summary>
    private JobSpec? ToSpec(Schedule schedule)
    {
        using var template = JsonDocument.Parse(schedule.JobTemplate);
        var errors = new FieldErrors();
        var spec = SubmitParser.Parse(template.RootElement, "job_template", options.Value, Caller.Scheduler with { Account = schedule.Account }, errors, strict: false);
        if (spec is null) log.LogWarning("Schedule {ScheduleId} has an invalid job template ({Field}); no job created", schedule.Id, errors.FirstField);
        return spec;
    }
}
