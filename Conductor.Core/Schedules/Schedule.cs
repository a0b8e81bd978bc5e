namespace Conductor.Core.Schedules;

/// <summary>
/// A cron schedule: every fire time creates one job from <see cref="JobTemplate"/> (a submit
/// body, stored as JSON). The unique (schedule_id, schedule_fire_time) on jobs makes "one job
/// per fire time" hold even with several API processes firing.
/// </summary>
public sealed class Schedule
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string Cron { get; set; } = "";
    public string TimeZone { get; set; } = "UTC";
    public int Status { get; set; } = ScheduleStatus.Enabled;
    public string Overlap { get; set; } = ScheduleOverlap.Allow;
    public string Misfire { get; set; } = ScheduleMisfire.FireOnce;
    public string JobTemplate { get; set; } = "{}";

    /// <summary>The account its jobs run under (unless the template names one): its creator's.</summary>
    public string Account { get; set; } = "default";
    public DateTime? NextFireTime { get; set; }
    public DateTime? LastFireTime { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>SCNS-Conductor's status numbers.</summary>
public static class ScheduleStatus
{
    public const int Disabled = 0;
    public const int Enabled = 1;
    public const int Paused = 2;

    public static bool IsValid(int status) => status is Disabled or Enabled or Paused;
}

/// <summary>allow: fire regardless; skip: skip a fire while the schedule's previous job is still PENDING or RUNNING.</summary>
public static class ScheduleOverlap
{
    public const string Allow = "allow";
    public const string Skip = "skip";
}

/// <summary>After downtime: fire_once fires one job for all the missed times, skip fires none of them.</summary>
public static class ScheduleMisfire
{
    public const string FireOnce = "fire_once";
    public const string Skip = "skip";
}
