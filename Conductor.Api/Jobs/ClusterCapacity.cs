using Conductor.Core.Jobs;
using Conductor.Core.Nodes;
using Conductor.Core.Storage;

namespace Conductor.Api.Jobs;

/// <summary>
/// Refuses requests no registered node could ever run: an unknown partition, or more cores or
/// memory than the largest node of the partition has. With no node registered yet, nothing
/// is known and every request waits.
/// </summary>
internal sealed class ClusterCapacity(NodeStore nodes)
{
    public async Task CheckAsync(JobSpec spec, string path, FieldErrors errors, CancellationToken ct) =>
        Check(await nodes.ListAsync(ct), spec, path, errors);

    /// <summary>Checks many specs against one read of the node table (a bulk submit).</summary>
    public async Task CheckAllAsync(IReadOnlyList<JobSpec> specs, Func<int, string> path, FieldErrors errors, CancellationToken ct)
    {
        var all = await nodes.ListAsync(ct);
        for (var i = 0; i < specs.Count; i++) Check(all, specs[i], path(i), errors);
    }

    private static void Check(IReadOnlyList<Node> all, JobSpec spec, string path, FieldErrors errors)
    {
        if (all.Count == 0) return;
        var inPartition = all.Where(n => n.Partition == spec.Partition).ToList();
        if (inPartition.Count == 0)
        {
            var known = string.Join(", ", all.Select(n => n.Partition).Distinct().Order());
            errors.Add($"{path}.partition", $"Unknown partition '{spec.Partition}'. Known partitions: {known}.");
            return;
        }
        var maxCpus = inPartition.Max(n => n.Cpus);
        if (spec.Cpus > maxCpus)
            errors.Add($"{path}.cpus_per_task",
                $"The job asks for {spec.Cpus} cores (ntasks_per_node * cpus_per_task) but the largest node of partition '{spec.Partition}' has {maxCpus}.");
        var maxMemory = inPartition.Max(n => n.MemoryMb);
        if (spec.MemoryMb > maxMemory)
            errors.Add($"{path}.memory_per_node",
                $"The job asks for {spec.MemoryMb} MB but the largest node of partition '{spec.Partition}' has {maxMemory} MB.");
    }
}
