namespace Conductor.Core.Scheduling;

/// <summary>
/// Redis pub/sub channel names. Messages are only hints to look at the database now; the
/// database stays the truth, so a lost message costs at most one poll interval.
/// </summary>
public static class WakeUpChannels
{
    public const string Submitted = "conductor:submitted";
    public const string Cancel = "conductor:cancel";
}
