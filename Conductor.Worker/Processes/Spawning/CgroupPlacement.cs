namespace Conductor.Worker.Processes.Spawning;

/// <summary>
/// How a job enters its cgroups before any of its code runs. <see cref="CgroupEntry.Thread"/>
/// (cgroup v1): the spawning thread writes itself ("0") into each of <see cref="Files"/> (the job's
/// <c>tasks</c> files), spawns, and goes back through <see cref="HomeFiles"/> (the spawner's own);
/// the child is born inside. <see cref="CgroupEntry.Gate"/> (cgroup v2, where a thread cannot leave
/// its process's cgroup): the child waits on fd 3 until the spawner has written its pid to each
/// of <see cref="Files"/> (<c>cgroup.procs</c>) and says "ok".
/// Why the thread enters itself on v1: a write of "0" to <c>tasks</c> moves the writing thread
/// alone and skips the kernel's global threadgroup lock; writing a pid (to <c>tasks</c> or
/// <c>cgroup.procs</c>) takes it for writing, which waits for an RCU grace period (measured on
/// 6.18, cgroup v1: about 10-45 µs per hierarchy with "0", 0.25 ms for a pid on an idle machine
/// and about 20 ms on a loaded one). The gate pays that once per job; on v2 a cgroup2 mount with
/// <c>favordynmods</c> (or CLONE_INTO_CGROUP, which glibc's posix_spawn cannot ask for before 2.41)
/// avoids it.
/// </summary>
public sealed record CgroupPlacement(CgroupEntry Entry, IReadOnlyList<string> Files, IReadOnlyList<string> HomeFiles)
{
    public static readonly CgroupPlacement None = new(CgroupEntry.None, [], []);
}
