using Conductor.Core.Operations;
using Conductor.Worker.Execution;

namespace Conductor.Worker.Operations;

/// <summary>
/// What a worker on this host can enforce on its jobs: each cgroup controller a job's cgroup needs
/// (memory, cpuset, pids, freezer, cpuacct) that is missing or not writable is a WARNING naming what
/// then goes unenforced, as the worker itself logs at start.
/// </summary>
internal static class ContainmentChecks
{
    public static IEnumerable<CheckResult> Cgroups(WorkerOptions worker) =>
        Cgroups(CgroupLayout.Locate(create: false, memory: worker.EnforceMemory), worker.EnforceMemory);

    internal static IEnumerable<CheckResult> Cgroups(CgroupLayout layout, bool memory)
    {
        var missing = layout.Missing(memory).ToList();
        if (missing.Count == 0)
        {
            yield return CheckResult.Ok("cgroups", $"cgroup {(layout.V2 ? "v2" : "v1")}: {string.Join(", ", layout.Bases.Keys.Select(Name))} under {string.Join(", ", layout.Bases.Values.Distinct())}");
            yield break;
        }
        foreach (var controller in missing)
            yield return new CheckResult($"cgroup_{Name(controller)}", CheckStatus.Warning,
                $"the {Name(controller)} cgroup controller is missing or not writable: {CgroupLayout.Consequence(controller)}");
    }

    private static string Name(CgroupController c) => c.ToString().ToLowerInvariant();
}
