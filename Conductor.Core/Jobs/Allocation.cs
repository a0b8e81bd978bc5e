namespace Conductor.Core.Jobs;

/// <summary>
/// The cores (and memory and GPUs) a RUNNING job holds on a node. Active while <see cref="ReleasedAt"/>
/// is null; releasing is idempotent.
/// </summary>
public sealed class Allocation
{
    public long Id { get; set; }
    public long JobId { get; set; }
    public int Attempt { get; set; }
    public string Node { get; set; } = "";
    public int Cpus { get; set; }
    public int[] CpuIds { get; set; } = [];
    public long MemoryMb { get; set; }

    /// <summary>The node's device ids (<see cref="Nodes.NodeDevice.Id"/>) the job holds; empty for a job without GPUs.</summary>
    public int[] GpuIds { get; set; } = [];
    public DateTime CreatedAt { get; set; }
    public DateTime? ReleasedAt { get; set; }
}
