using Mono.Unix.Native;

namespace Conductor.Worker.Processes;

/// <summary>
/// Signals a job's whole process group (the job runs in its own session, so its group id is
/// the wrapper's pid). "No such process" is success: the group is already gone.
/// </summary>
public static class ProcessGroups
{
    public static void Terminate(int pgid) => Send(pgid, Signum.SIGTERM);

    public static void Kill(int pgid) => Send(pgid, Signum.SIGKILL);

    private static void Send(int pgid, Signum signal)
    {
        if (pgid <= 1) throw new ArgumentOutOfRangeException(nameof(pgid), pgid, "Refusing to signal init or every process.");
        if (Syscall.kill(-pgid, signal) == 0) return;
        var errno = Stdlib.GetLastError();
        if (errno != Errno.ESRCH) throw new InvalidOperationException($"kill(-{pgid}, {signal}) failed: {errno}");
    }

    /// <summary>Kills this worker process outright (crash-test fault injection).</summary>
    public static void KillSelf() => Syscall.kill(Environment.ProcessId, Signum.SIGKILL);
}
