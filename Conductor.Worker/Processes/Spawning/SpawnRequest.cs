namespace Conductor.Worker.Processes.Spawning;

/// <summary>
/// A job for the spawner to start: the program and its full argv and environment, the directory
/// it starts in, the CPUs it is pinned to, the file its early stdout/stderr go to, and the job's
/// pid and exit-status files, which the spawner writes itself. <see cref="Uid"/>/<see cref="Gid"/>
/// are the job user's (-1: keep the spawner's, which is then not root); <see cref="Cgroups"/> the
/// job's cgroup directories and how the child gets into them.
/// </summary>
public sealed record SpawnRequest(
    int Id, string Program, IReadOnlyList<string> Argv, IReadOnlyList<string> Environment, string WorkingDirectory,
    IReadOnlyList<int> Cpus, string LogFile, string PidFile, string ExitStatusFile)
{
    public int Uid { get; init; } = -1;
    public int Gid { get; init; } = -1;
    public CgroupPlacement Cgroups { get; init; } = CgroupPlacement.None;
}
