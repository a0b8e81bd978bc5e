namespace Conductor.Core.Jobs;

/// <summary>
/// The cores (and memory) a RUNNING job holds on a node. Active while <see cref="ReleasedAt"/>
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
    public DateTime CreatedAt { get; set; }
    public DateTime? ReleasedAt { get; set; }
}
