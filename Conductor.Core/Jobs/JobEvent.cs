namespace Conductor.Core.Jobs;

/// <summary>One row per state transition; appended by the same statement that moves the job.</summary>
public sealed class JobEvent
{
    public long Id { get; set; }
    public long JobId { get; set; }
    public JobState? FromState { get; set; }
    public JobState ToState { get; set; }
    public string Reason { get; set; } = "";
    public DateTime At { get; set; }
    public string? Node { get; set; }

    /// <summary>What else happened and who did it (a hold, a field edited, a bulk requeue), for people.</summary>
    public string? Message { get; set; }
}
