namespace Conductor.Core.Scheduling;

/// <summary>A PENDING job as the planner sees it, in queue order (priority, then submit order).</summary>
public sealed record Candidate(long JobId, int Cpus, long MemoryMb, bool Exclusive);

/// <summary>A planned start: the job and the exact core ids it is pinned to.</summary>
public sealed record Placement(long JobId, int[] CpuIds, long MemoryMb);

/// <summary>
/// Decides which waiting jobs start on one node now and on which cores. Pure: the caller
/// holds the node's row lock, so the free set it passes in cannot change underneath.
///
/// Rule: jobs start strictly in queue order. When the first job that could ever fit this
/// node does not fit now, planning stops, so later (smaller) jobs cannot overtake it and
/// starve it — the cores it waits for are reserved for it. A job that can never fit this
/// node (more cores or memory than it has) is skipped; another node may take it.
/// An exclusive job needs the whole node and holds all of its cores.
/// </summary>
public static class CorePlanner
{
    public static IReadOnlyList<Placement> Plan(
        IReadOnlyList<int> nodeCores, long nodeMemoryMb, IReadOnlyCollection<int> busyCores, long busyMemoryMb,
        bool nodeHeldExclusively, IEnumerable<Candidate> queue)
    {
        var placements = new List<Placement>();
        if (nodeHeldExclusively) return placements;
        var free = nodeCores.Where(c => !busyCores.Contains(c)).OrderBy(c => c).ToList();
        var freeMemory = nodeMemoryMb - busyMemoryMb;
        foreach (var job in queue)
        {
            if (job.Cpus > nodeCores.Count || job.MemoryMb > nodeMemoryMb) continue; // never fits here
            var wholeNodeFree = free.Count == nodeCores.Count;
            if (job.Exclusive)
            {
                if (!wholeNodeFree || job.MemoryMb > freeMemory) break;
                placements.Add(new Placement(job.JobId, [.. free], nodeMemoryMb - busyMemoryMb));
                break; // the node is now held exclusively
            }
            if (job.Cpus > free.Count || job.MemoryMb > freeMemory) break; // reserve for it
            var cores = free.Take(job.Cpus).ToArray();
            free.RemoveRange(0, job.Cpus);
            freeMemory -= job.MemoryMb;
            placements.Add(new Placement(job.JobId, cores, job.MemoryMb));
            if (free.Count == 0) break;
        }
        return placements;
    }
}
