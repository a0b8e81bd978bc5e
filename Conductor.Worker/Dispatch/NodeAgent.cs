using Conductor.Core.Nodes;
using Conductor.Core.Storage;
using Conductor.Worker.Execution;
using Microsoft.Extensions.Options;

namespace Conductor.Worker.Dispatch;

/// <summary>
/// This worker's node: registers it under a fresh instance id (the fencing token), heartbeats,
/// and notices when a newer worker process with the same name has taken the node over.
/// </summary>
public sealed class NodeAgent(NodeStore nodes, IProcessProbe probe, IOptions<WorkerOptions> options, ILogger<NodeAgent> log)
{
    private volatile bool _fenced;

    public Guid InstanceId { get; } = Guid.NewGuid();
    public string Name => options.Value.NodeName;
    public int[] CoreIds { get; private set; } = [];
    public int Cpus => CoreIds.Length;

    /// <summary>True once another instance owns this node: stop claiming, touch nothing.</summary>
    public bool Fenced => _fenced;

    public async Task RegisterAsync(CancellationToken ct)
    {
        var o = options.Value;
        var allowed = MachineInfo.AllowedCores();
        CoreIds = allowed.Take(Math.Clamp(o.Cpus ?? allowed.Count, 1, allowed.Count)).ToArray();
        var now = DateTime.UtcNow;
        await nodes.RegisterAsync(new Node
        {
            Name = Name, Partition = o.Partition, Cpus = CoreIds.Length, CoreIds = CoreIds,
            MemoryMb = o.MemoryMb ?? MachineInfo.MemoryMb(), State = NodeState.Up, InstanceId = InstanceId,
            BootId = probe.BootId, RegisteredAt = now, LastHeartbeat = now,
        }, ct);
        log.LogInformation("Node {Node} registered: partition {Partition}, cores {CpuIds}, instance {Instance}",
            Name, o.Partition, string.Join(',', CoreIds), InstanceId);
    }

    public async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        var period = TimeSpan.FromSeconds(options.Value.HeartbeatSeconds);
        while (!ct.IsCancellationRequested && !_fenced)
        {
            try
            {
                await Task.Delay(period, ct);
                if (!await nodes.HeartbeatAsync(Name, InstanceId, ct))
                {
                    _fenced = true;
                    log.LogWarning("Node {Node} was taken over by a newer worker instance; this one stops claiming", Name);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (StoreRetry.IsTransient(e))
            {
                log.LogWarning("Heartbeat of {Node} failed: {Error}", Name, e.Message);
            }
        }
    }
}
