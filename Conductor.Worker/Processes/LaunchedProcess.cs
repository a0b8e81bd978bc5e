namespace Conductor.Worker.Processes;

/// <summary>
/// A started job shell: its pid (= process group and session id), its start time in clock ticks
/// (with the boot id, what identifies it), and its exit status once it ends — as bash reports it,
/// 128+n for signal n; null when it could not be learned.
/// </summary>
public sealed record LaunchedProcess(int Pid, long StartTicks, Task<int?> Exited)
{
    /// <summary>The uid the job runs as.</summary>
    public int Uid { get; init; } = WorkerUid;

    private static readonly int WorkerUid = (int)Mono.Unix.Native.Syscall.geteuid();
}
