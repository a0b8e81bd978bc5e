using Conductor.Core.Nodes;
using Microsoft.Extensions.Options;

namespace Conductor.Worker.Node;

/// <summary>This node's GPUs, found once when the worker starts (<see cref="DeviceDetection"/>) and logged once.</summary>
public sealed class NodeDevices
{
    public NodeDevices(IOptions<WorkerOptions> options, ILogger<NodeDevices> log)
    {
        (All, var source) = DeviceDetection.Find(options.Value.Gpus);
        if (All.Count == 0)
        {
            log.LogInformation("No GPUs on this node ({Source})", source);
            return;
        }
        log.LogInformation("GPUs from {Source}: {Devices}", source,
            string.Join(", ", All.Select(d => $"{d.Id} {d.Model} ({d.Vendor}{(d.Path is null ? "" : ", " + d.Path)})")));
        if (All.Where(d => d.Path is null).Select(d => d.Id).ToList() is { Count: > 0 } bare)
            log.LogWarning("GPU(s) {Ids} have no device node on this host: jobs are told which devices are theirs (CUDA_VISIBLE_DEVICES), but nothing is denied to them in the job's cgroup", string.Join(',', bare));
    }

    public IReadOnlyList<NodeDevice> All { get; }

    /// <summary>The devices with these ids (an allocation's gpu_ids), in id order; an id the node no longer offers is left out.</summary>
    public IReadOnlyList<NodeDevice> Of(IReadOnlyCollection<int> ids) =>
        ids.Count == 0 ? [] : All.Where(d => ids.Contains(d.Id)).OrderBy(d => d.Id).ToList();

    /// <summary>Some device has a device node whose access a job's cgroup can allow or deny.</summary>
    public bool HaveDeviceNodes => All.Any(d => d.Path is not null);
}
