using Conductor.Worker.Processes.Spawning;

namespace Conductor.Worker.Processes;

/// <summary>
/// What to start: the job's files, the cores to pin it to, its environment, the user it runs as
/// (null: the worker's, which is then not root), the per-file output limit (0: none) and how it
/// enters its cgroups.
/// </summary>
public sealed record LaunchRequest(JobFiles Files, IReadOnlyList<int> CpuIds, IReadOnlyDictionary<string, string?> Environment)
{
    public JobUser? User { get; init; }
    public long MaxOutputBytes { get; init; }

    public CgroupPlacement Cgroups { get; init; } = CgroupPlacement.None;
}
