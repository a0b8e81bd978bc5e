namespace Conductor.Worker.Processes.Spawning;

/// <summary>
/// How a job enters its cgroups before any of its code runs. <see cref="CgroupEntry.Thread"/>
/// (cgroup v1): the spawning thread writes itself ("0") into each of <see cref="Files"/> (the job's
/// <c>tasks</c> files), spawns, and goes back through <see cref="HomeFiles"/> (the spawner's own);
/// the child is born inside. <see cref="CgroupEntry.Gate"/> (cgroup v2, where a thread cannot leave
/// its process's cgroup): the child waits on fd 3 until the spawner has written its pid to each
/// of <see cref="Files"/> (<c>cgroup.procs</c>) and says "ok".
/// </summary>
public sealed record CgroupPlacement(CgroupEntry Entry, IReadOnlyList<string> Files, IReadOnlyList<string> HomeFiles)
{
    public static readonly CgroupPlacement None = new(CgroupEntry.None, [], []);
}
