namespace Conductor.Core.Scheduling;

/// <summary>A PENDING job as the planner sees it, in queue order (priority, then submit order).</summary>
public sealed record Candidate(long JobId, int Cpus, long MemoryMb, bool Exclusive, int? TimeLimitSeconds = null);

/// <summary>A job holding cores on the node, and when it will have released them at the latest.</summary>
public sealed record RunningSlot(int Cores, DateTime? LatestEnd);

/// <summary>The node at planning time. <see cref="Running"/> lists what holds <see cref="BusyCores"/>.</summary>
public sealed record NodeView(
    IReadOnlyList<int> Cores, long MemoryMb, IReadOnlyCollection<int> BusyCores, long BusyMemoryMb,
    bool HeldExclusively, IReadOnlyList<RunningSlot> Running);

/// <summary>A planned start: the job and the exact core ids it is pinned to.</summary>
public sealed record Placement(long JobId, int[] CpuIds, long MemoryMb);

/// <summary>
/// Decides which waiting jobs start on one node now and on which cores. Pure: the caller holds
/// the node's row lock, so the free set it passes in cannot change underneath.
///
/// The rule is Slurm's backfill (EASY): jobs start in queue order while they fit. The first job
/// that does not fit gets a reservation: the earliest time enough cores are certain to be free
/// (running jobs' start + time limit, the "shadow time"), and how many cores beyond its need
/// will be free then. A later job may start now only if it fits now and cannot delay that
/// reservation: it ends (by its time limit) before the shadow time, or it only uses cores the
/// reserved job will not need. A job without a time limit, or any unknown end among the running
/// jobs, leaves nothing to backfill: the reserved job cannot starve behind smaller ones.
/// A job that can never fit this node is skipped (another node may take it). An exclusive job
/// needs the whole node and holds all of its cores; it is never backfilled.
/// </summary>
public static class CorePlanner
{
    public static IReadOnlyList<Placement> Plan(NodeView node, IEnumerable<Candidate> queue, DateTime now)
    {
        var placements = new List<Placement>();
        if (node.HeldExclusively) return placements;
        var free = node.Cores.Where(c => !node.BusyCores.Contains(c)).OrderBy(c => c).ToList();
        var freeMemory = node.MemoryMb - node.BusyMemoryMb;
        var running = node.Running.ToList();
        Reservation? reserved = null;
        foreach (var job in queue)
        {
            if (job.Cpus > node.Cores.Count || job.MemoryMb > node.MemoryMb) continue; // never fits here
            var need = job.Exclusive ? node.Cores.Count : job.Cpus;
            var fitsNow = need <= free.Count && job.MemoryMb <= freeMemory && (!job.Exclusive || free.Count == node.Cores.Count);
            var end = job.TimeLimitSeconds is { } limit ? now.AddSeconds(limit) : (DateTime?)null;
            if (reserved is null)
            {
                if (!fitsNow)
                {
                    reserved = Reserve(need, free.Count, running);
                    continue;
                }
            }
            else if (job.Exclusive || !fitsNow || !reserved.Admits(need, end))
            {
                continue;
            }
            var cores = free.Take(need).ToArray();
            free.RemoveRange(0, need);
            var memory = job.Exclusive ? freeMemory : job.MemoryMb;
            freeMemory -= memory;
            running.Add(new RunningSlot(need, end));
            placements.Add(new Placement(job.JobId, cores, memory));
            if (free.Count == 0 || job.Exclusive) break;
        }
        return placements;
    }

    /// <summary>When <paramref name="need"/> cores are certain to be free, and how many spare ones then.</summary>
    private static Reservation Reserve(int need, int freeNow, IReadOnlyList<RunningSlot> running)
    {
        var available = freeNow;
        foreach (var slot in running.OrderBy(s => s.LatestEnd ?? DateTime.MaxValue))
        {
            if (slot.LatestEnd is null) break; // an unbounded job: no certain time
            available += slot.Cores;
            if (available >= need) return new Reservation(slot.LatestEnd.Value, available - need);
        }
        return new Reservation(null, 0);
    }

    private sealed class Reservation(DateTime? shadow, int spare)
    {
        private int _spare = spare;

        /// <summary>Takes the job if it cannot delay the reservation; spare cores are used up as they go.</summary>
        public bool Admits(int cores, DateTime? end)
        {
            if (shadow is { } s && end is { } e && e <= s) return true;
            if (cores > _spare) return false;
            _spare -= cores;
            return true;
        }
    }
}
