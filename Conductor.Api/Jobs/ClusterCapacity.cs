using Conductor.Core.Jobs;
using Conductor.Core.Nodes;
using Conductor.Core.Storage;

namespace Conductor.Api.Jobs;

/// <summary>
/// Refuses requests no registered node could ever run: an unknown partition, or more cores,
/// memory or GPUs (of a model) than the largest node of the partition has. With no node registered yet, nothing
/// is known and every request waits. The node list is cached for a moment (submits are hot);
/// a request the cached list would refuse is checked again against a fresh one first, so a
/// node that just registered is never missed.
/// </summary>
internal sealed class ClusterCapacity(NodeStore nodes, TimeProvider clock)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);
    private (DateTimeOffset At, IReadOnlyList<Node> Nodes)? _cache;

    public Task CheckAsync(JobSpec spec, string path, FieldErrors errors, CancellationToken ct) =>
        CheckAllAsync([spec], _ => path, errors, ct);

    /// <summary>Checks many specs (a bulk submit) against one read of the node table.</summary>
    public async Task CheckAllAsync(IReadOnlyList<JobSpec> specs, Func<int, string> path, FieldErrors errors, CancellationToken ct)
    {
        var cached = _cache;
        if (cached is { } c && clock.GetUtcNow() - c.At < CacheFor && specs.Select((s, i) => Problem(s, path(i), c.Nodes)).All(p => p is null))
            return;
        var fresh = await nodes.ListAsync(ct);
        _cache = (clock.GetUtcNow(), fresh);
        for (var i = 0; i < specs.Count; i++)
            if (Problem(specs[i], path(i), fresh) is { } problem) errors.Add(problem.Field, problem.Message);
    }

    private static (string Field, string Message)? Problem(JobSpec spec, string path, IReadOnlyList<Node> all)
    {
        if (all.Count == 0) return null;
        var inPartition = all.Where(n => n.Partition == spec.Partition).ToList();
        if (inPartition.Count == 0)
        {
            var known = string.Join(", ", all.Select(n => n.Partition).Distinct().Order());
            return ($"{path}.partition", $"Unknown partition '{spec.Partition}'. Known partitions: {known}.");
        }
        var maxCpus = inPartition.Max(n => n.Cpus);
        if (spec.Cpus > maxCpus)
            return ($"{path}.cpus_per_task",
                $"The job asks for {spec.Cpus} cores (ntasks_per_node * cpus_per_task) but the largest node of partition '{spec.Partition}' has {maxCpus}.");
        var maxMemory = inPartition.Max(n => n.MemoryMb);
        if (spec.MemoryMb > maxMemory)
            return ($"{path}.memory_per_node",
                $"The job asks for {spec.MemoryMb} MB but the largest node of partition '{spec.Partition}' has {maxMemory} MB.");
        return GpuProblem(spec, path, inPartition);
    }

    /// <summary>More GPUs (of the model asked for) than any node of the partition offers, named by the field the request came in.</summary>
    private static (string Field, string Message)? GpuProblem(JobSpec spec, string path, List<Node> inPartition)
    {
        var gres = spec.Gres;
        if (gres.Count == 0) return null;
        var most = inPartition.Max(n => n.Devices.Count(d => gres.Accepts(d.Model)));
        if (gres.Count <= most) return null;
        var field = $"{path}.{spec.GresField}";
        if (gres.Model is { } model && most == 0)
        {
            var models = string.Join(", ", inPartition.SelectMany(n => n.Devices).Select(d => d.Model).Distinct(StringComparer.OrdinalIgnoreCase).Order());
            return (field, $"No node of partition '{spec.Partition}' has a GPU of model '{model}'" +
                (models.Length > 0 ? $"; its models: {models}." : "; it has no GPUs."));
        }
        return (field, $"The job asks for {gres.Count} GPU(s){(gres.Model is null ? "" : $" of model '{gres.Model}'")} but the node of partition " +
            $"'{spec.Partition}' with the most has {most}.");
    }
}
