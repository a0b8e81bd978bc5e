using Mono.Unix.Native;
using Conductor.Worker.Processes.Cgroups;

namespace Conductor.Worker.Processes;

/// <summary>
/// Ends a job's processes: every process in its cgroup when it has one, whatever session or parent
/// it has (nothing escapes it); else its process group, the fallback where cgroups are unavailable,
/// which a child that left the job's session survives.
/// </summary>
public sealed class JobEnding(int pid, JobCgroup? cgroup)
{
    /// <summary>How long the final kill may take to empty the cgroup before its slot is given up as not reusable.</summary>
    internal static readonly TimeSpan KillPatience = TimeSpan.FromSeconds(30);

    /// <summary>SIGTERM to all, the grace period (until all are gone, at most), then SIGKILL to all.</summary>
    public async Task StopAsync(Task exited, TimeSpan grace)
    {
        if (cgroup is null) ProcessGroups.Terminate(pid);
        else cgroup.SignalAll(Signum.SIGTERM);
        var deadline = Task.Delay(grace);
        if (await Task.WhenAny(exited, deadline) == exited && cgroup is not null)
            while (!deadline.IsCompleted && !cgroup.IsEmpty)
                await Task.WhenAny(deadline, Task.Delay(50));
        if (cgroup is null)
        {
            if (!exited.IsCompleted) ProcessGroups.Kill(pid);
        }
        else if (!cgroup.IsEmpty)
        {
            await cgroup.KillAllAsync(KillPatience);
        }
    }

    /// <summary>
    /// Once the job's main process has ended: kills whatever it left running (background, setsid'd
    /// or double-forked children). True when nothing of the job is left, so its slot may be reused.
    /// </summary>
    public async Task<bool> EndAsync()
    {
        if (cgroup is null)
        {
            if (pid > 1) ProcessGroups.Kill(pid); // no pid: a spawn that failed before anything started
            return true;
        }
        return cgroup.IsEmpty || await cgroup.KillAllAsync(KillPatience);
    }
}
