namespace Conductor.Worker.Processes.Spawning;

/// <summary>How a job enters its cgroups (see <see cref="CgroupPlacement"/>); none where there are none.</summary>
public enum CgroupEntry : byte { None, Thread, Gate }
