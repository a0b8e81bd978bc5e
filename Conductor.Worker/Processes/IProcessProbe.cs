namespace Conductor.Worker.Processes;

/// <summary>
/// Tells whether a recorded PID is still the job's process. A PID alone proves nothing: the
/// kernel recycles it as soon as the process is reaped, so a PID counts as ours only when its
/// start time (/proc/&lt;pid&gt;/stat field 22) and the machine's boot id match what was recorded.
/// </summary>
public interface IProcessProbe
{
    string BootId { get; }

    /// <summary>The process start time in clock ticks since boot, or null when no such process exists.</summary>
    long? StartTicks(int pid);

    bool IsSameProcess(int pid, long startTicks, string bootId) =>
        bootId == BootId && StartTicks(pid) == startTicks;
}
