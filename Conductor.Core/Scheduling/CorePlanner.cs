using Conductor.Core.Jobs;
using Conductor.Core.Nodes;

namespace Conductor.Core.Scheduling;

/// <summary>A PENDING job as the planner sees it, in queue order (priority, then submit order).</summary>
public sealed record Candidate(long JobId, int Cpus, long MemoryMb, bool Exclusive, int? TimeLimitSeconds = null)
{
    /// <summary>The GPUs it asks for (count and model).</summary>
    public GresRequest Gpus { get; init; } = GresRequest.None;
}

/// <summary>A job holding cores on the node, and when it will have released them at the latest.</summary>
public sealed record RunningSlot(int Cores, DateTime? LatestEnd)
{
    /// <summary>The device ids it holds.</summary>
    public IReadOnlyList<int> GpuIds { get; init; } = [];
}

/// <summary>The node at planning time. <see cref="Running"/> lists what holds <see cref="BusyCores"/> (and <see cref="BusyGpus"/>).</summary>
public sealed record NodeView(
    IReadOnlyList<int> Cores, long MemoryMb, IReadOnlyCollection<int> BusyCores, long BusyMemoryMb,
    bool HeldExclusively, IReadOnlyList<RunningSlot> Running)
{
    /// <summary>The node's GPUs, and the ids active allocations hold.</summary>
    public IReadOnlyList<NodeDevice> Devices { get; init; } = [];
    public IReadOnlyCollection<int> BusyGpus { get; init; } = [];
}

/// <summary>A planned start: the job and the exact core ids it is pinned to (and device ids it may use).</summary>
public sealed record Placement(long JobId, int[] CpuIds, long MemoryMb)
{
    public int[] GpuIds { get; init; } = [];
}

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
/// GPUs are planned the same way, as a second count beside cores (<see cref="DevicePlan"/>): a job
/// fits now only when enough free devices of its model are left too, a reservation counts the
/// devices it waits for, and an exclusive job holds every device of the node.
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
        var devices = new DevicePlan(node.Devices, node.BusyGpus);
        Reservation? reserved = null;
        foreach (var job in queue)
        {
            if (job.Cpus > node.Cores.Count || job.MemoryMb > node.MemoryMb || !devices.CanEverMeet(job.Gpus)) continue; // never fits here
            var need = job.Exclusive ? node.Cores.Count : job.Cpus;
            var gpus = job.Exclusive ? devices.AllFree() : devices.Pick(job.Gpus);
            var fitsNow = need <= free.Count && job.MemoryMb <= freeMemory && gpus is not null
                && (!job.Exclusive || (free.Count == node.Cores.Count && devices.AllIdle));
            var end = job.TimeLimitSeconds is { } limit ? now.AddSeconds(limit) : (DateTime?)null;
            if (reserved is null)
            {
                if (!fitsNow)
                {
                    reserved = Reserve(need, free.Count, job.Exclusive ? new GresRequest(node.Devices.Count, null) : job.Gpus, devices, running);
                    continue;
                }
            }
            else if (job.Exclusive || !fitsNow || !reserved.Admits(need, gpus!.Count(id => reserved.Wants(devices.ModelOf(id))), end))
            {
                continue;
            }
            var cores = free.Take(need).ToArray();
            free.RemoveRange(0, need);
            devices.Take(gpus!);
            var memory = job.Exclusive ? freeMemory : job.MemoryMb;
            freeMemory -= memory;
            running.Add(new RunningSlot(need, end) { GpuIds = gpus! });
            placements.Add(new Placement(job.JobId, cores, memory) { GpuIds = gpus! });
            if (free.Count == 0 || job.Exclusive) break;
        }
        return placements;
    }

    /// <summary>When <paramref name="need"/> cores and the GPUs asked for are certain to be free, and how many spare ones then.</summary>
    private static Reservation Reserve(int need, int freeNow, GresRequest gpus, DevicePlan devices, IReadOnlyList<RunningSlot> running)
    {
        var available = freeNow;
        var availableGpus = devices.FreeMatching(gpus);
        foreach (var slot in running.OrderBy(s => s.LatestEnd ?? DateTime.MaxValue))
        {
            if (slot.LatestEnd is null) break; // an unbounded job: no certain time
            available += slot.Cores;
            availableGpus += slot.GpuIds.Count(id => gpus.Accepts(devices.ModelOf(id)));
            if (available >= need && availableGpus >= gpus.Count)
                return new Reservation(slot.LatestEnd.Value, available - need, gpus, availableGpus - gpus.Count);
        }
        return new Reservation(null, 0, gpus, 0);
    }

    private sealed class Reservation(DateTime? shadow, int spare, GresRequest gpus, int spareGpus)
    {
        private int _spare = spare;
        private int _spareGpus = gpus.Count == 0 ? int.MaxValue : spareGpus;

        /// <summary>Whether the reserved job could use a device of <paramref name="model"/>: only those can delay it.</summary>
        public bool Wants(string? model) => gpus.Count > 0 && gpus.Accepts(model);

        /// <summary>Takes the job if it cannot delay the reservation; spare cores and devices are used up as they go.</summary>
        public bool Admits(int cores, int wantedGpus, DateTime? end)
        {
            if (shadow is { } s && end is { } e && e <= s) return true;
            if (cores > _spare || wantedGpus > _spareGpus) return false;
            _spare -= cores;
            _spareGpus -= wantedGpus;
            return true;
        }
    }
}
