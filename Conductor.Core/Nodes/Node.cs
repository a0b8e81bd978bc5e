namespace Conductor.Core.Nodes;

public enum NodeState
{
    Up,
    Down,
}

/// <summary>
/// A compute node, registered by its worker. <see cref="InstanceId"/> fences a second worker
/// process started with the same name: only the instance recorded here may claim work.
/// </summary>
public sealed class Node
{
    public string Name { get; set; } = "";
    public string Partition { get; set; } = "default";
    public int Cpus { get; set; }
    public int[] CoreIds { get; set; } = [];
    public long MemoryMb { get; set; }

    /// <summary>The GPUs (countable devices) the node offers, as its worker registered them.</summary>
    public List<NodeDevice> Devices { get; set; } = [];
    public NodeState State { get; set; } = NodeState.Up;
    public Guid InstanceId { get; set; }
    public string? BootId { get; set; }
    public DateTime RegisteredAt { get; set; }
    public DateTime LastHeartbeat { get; set; }

    /// <summary>Set while the node is drained: it takes no new jobs (DRAINING while jobs still run, then DRAINED). Survives re-registration.</summary>
    public DateTime? DrainedSince { get; set; }
    public string? DrainReason { get; set; }

    /// <summary>When the jobs still running on a draining node are requeued; null = they run to their end.</summary>
    public DateTime? DrainDeadline { get; set; }
}
