namespace Conductor.Core.Quotas;

/// <summary>
/// Slurm's GrpTRES=cpu and MaxJobs of an association: how many cores an account may hold at
/// once and how many of its jobs may run, in one partition ("*" = each partition without a row
/// of its own). A job over either waits with reason AssocGrpCpuLimit / AssocMaxJobsLimit.
/// </summary>
public sealed class AccountQuota
{
    public const string AnyPartition = "*";

    public string Account { get; set; } = "";
    public string Partition { get; set; } = AnyPartition;
    public int? MaxCpus { get; set; }
    public int? MaxRunningJobs { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A partition's dispatch switch: a paused partition keeps its queue but nothing of it starts.</summary>
public sealed class PartitionState
{
    public string Name { get; set; } = "";
    public bool Paused { get; set; }
    public string? Reason { get; set; }
    public DateTime UpdatedAt { get; set; }
}
