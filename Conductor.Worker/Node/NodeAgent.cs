using Conductor.Core.Nodes;
using Conductor.Core.Storage;
using Microsoft.Extensions.Options;
using Conductor.Worker.Messaging;
using Conductor.Worker.Processes;

namespace Conductor.Worker.Node;

/// <summary>
/// This worker's node: registers it under a fresh instance id (the fencing token), heartbeats
/// with the database clock, runs the node reaper (<see cref="NodeReaper"/>) with the heartbeat
/// as its proof that the database answers, and notices two things:
/// a newer worker process with the same name took the node over (<see cref="Fenced"/>), or a
/// peer declared this node dead while it was stalled (<see cref="MarkedDown"/>).
/// </summary>
public sealed class NodeAgent(
    NodeStore nodes, JobStore jobs, NodeReaper reaper, IProcessProbe probe, WakeUps wakeUps, NodeDevices devices, IOptions<WorkerOptions> options,
    ILogger<NodeAgent> log)
{
    private readonly CancellationTokenSource _fence = new();
    private volatile bool _fenced;
    private volatile bool _markedDown;

    public Guid InstanceId { get; } = Guid.NewGuid();
    public string Name => options.Value.NodeName;
    public int[] CoreIds { get; private set; } = [];
    public int Cpus => CoreIds.Length;
    public long MemoryMb { get; private set; }

    /// <summary>What a claim needs to know about this node; the instance id is the fencing token.</summary>
    public NodeClaim Claim => new(Name, InstanceId, options.Value.Partition, CoreIds, MemoryMb) { Devices = devices.All };

    /// <summary>True once another instance owns this node: stop claiming and leave.</summary>
    public bool Fenced => _fenced;

    /// <summary>True when a peer marked this node DOWN and failed its jobs: they must not keep running.</summary>
    public bool MarkedDown => _markedDown;

    public async Task RegisterAsync(CancellationToken ct)
    {
        var o = options.Value;
        var allowed = MachineInfo.AllowedCores();
        CoreIds = allowed.Take(Math.Clamp(o.Cpus ?? allowed.Count, 1, allowed.Count)).ToArray();
        MemoryMb = o.MemoryMb ?? MachineInfo.MemoryMb();
        // One statement; its first heartbeat is on the database's clock, as every later one.
        await nodes.RegisterAsync(new Core.Nodes.Node
        {
            Name = Name, Partition = o.Partition, Cpus = CoreIds.Length, CoreIds = CoreIds,
            MemoryMb = MemoryMb, State = NodeState.Up, InstanceId = InstanceId, BootId = probe.BootId, Devices = [.. devices.All],
        }, ct);
        _markedDown = false;
        log.LogInformation("Node {Node} registered: partition {Partition}, cores {CpuIds}, instance {Instance}",
            Name, o.Partition, string.Join(',', CoreIds), InstanceId);
    }

    /// <summary>Heartbeats and reaps until the worker stops or this instance is fenced (a newer one heartbeats for the node).</summary>
    public async Task HeartbeatLoopAsync(CancellationToken ct)
    {
        using var running = CancellationTokenSource.CreateLinkedTokenSource(ct, _fence.Token);
        await reaper.RunAsync(TimeSpan.FromSeconds(options.Value.LeaseSeconds), TimeSpan.FromSeconds(options.Value.HeartbeatSeconds),
            BeatAsync, running.Token);
    }

    private async Task BeatAsync(CancellationToken ct)
    {
        var beat = await nodes.HeartbeatAsync(Name, InstanceId, ct);
        if (beat is { DrainOverdue: true } && await jobs.RequestRequeueOnNodeAsync(Name, "Requeued: the node's drain deadline passed.", ct) is > 0 and var count)
        {
            log.LogInformation("Node {Node}'s drain deadline passed; requeueing its {Count} running jobs", Name, count);
            wakeUps.CancelHint();
        }
        var state = beat?.State;
        if (state is null)
        {
            _fenced = true;
            _fence.Cancel();
            log.LogWarning("Node {Node} was taken over by a newer worker instance; this one stops claiming and exits", Name);
            wakeUps.Wake();
        }
        else if (state == NodeState.Down && !_markedDown)
        {
            _markedDown = true;
            log.LogWarning("Node {Node} was marked DOWN by a peer and its jobs failed as NodeFail; killing what still runs", Name);
            wakeUps.Wake();
        }
    }
}
