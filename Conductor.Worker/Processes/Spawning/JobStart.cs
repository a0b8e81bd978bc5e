using System.ComponentModel;

namespace Conductor.Worker.Processes.Spawning;

/// <summary>
/// One spawn on the spawner's spawning thread: pin, enter the job's cgroups, become the job's user,
/// posix_spawn, become root again, leave the cgroups. Every step is undone on the way out, whatever
/// fails, so the thread is root in the spawner's own cgroups before the next request. The child's
/// start time lies between the two clock readings returned with its pid.
/// </summary>
internal static class JobStart
{
    public static (int Pid, long Before, long After) Run(SpawnRequest r)
    {
        LibC.SetThreadAffinity(r.Cpus);
        var placement = r.Cgroups;
        if (placement.Entry == CgroupEntry.Thread) Enter(placement);
        (int Read, int Write) gate = placement.Entry == CgroupEntry.Gate ? LibC.Pipe() : (-1, -1);
        int pid;
        long before, after;
        try
        {
            before = LibC.BootTimeTicks();
            if (r.Uid >= 0) ThreadCredentials.Become((uint)r.Uid, (uint)r.Gid);
            try
            {
                pid = LibC.Spawn(r.Program, r.Argv, r.Environment, r.WorkingDirectory, r.LogFile, gate.Read);
            }
            finally
            {
                if (r.Uid >= 0) ThreadCredentials.Restore();
            }
            after = LibC.BootTimeTicks();
        }
        catch
        {
            if (gate.Write >= 0) LibC.Close(gate.Write);
            throw;
        }
        finally
        {
            if (placement.Entry == CgroupEntry.Thread) GoHome(placement);
            if (gate.Read >= 0) LibC.Close(gate.Read);
        }
        if (gate.Write >= 0) OpenGate(pid, placement, gate.Write);
        return (pid, before, after);
    }

    private static void Enter(CgroupPlacement placement)
    {
        try
        {
            foreach (var tasks in placement.Files) TasksFiles.Join(tasks);
        }
        catch (Win32Exception)
        {
            GoHome(placement);
            throw;
        }
    }

    /// <summary>A spawning thread left in a job's cgroup would be frozen and killed with the job: the process ends instead.</summary>
    private static void GoHome(CgroupPlacement placement)
    {
        try
        {
            foreach (var tasks in placement.HomeFiles) TasksFiles.Join(tasks);
        }
        catch (Win32Exception e)
        {
            Environment.FailFast($"The spawner could not leave a job's cgroup: {e.Message}");
        }
    }

    /// <summary>Places the waiting child in its cgroups, then lets it go on; one it cannot place is killed and reported.</summary>
    private static void OpenGate(int pid, CgroupPlacement placement, int gate)
    {
        try
        {
            foreach (var procs in placement.Files) LibC.WriteFile(procs, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            LibC.WriteAll(gate, "ok\n", "the job's gate");
        }
        catch (Win32Exception)
        {
            Mono.Unix.Native.Syscall.kill(pid, Mono.Unix.Native.Signum.SIGKILL);
            throw;
        }
        finally
        {
            LibC.Close(gate);
        }
    }
}
