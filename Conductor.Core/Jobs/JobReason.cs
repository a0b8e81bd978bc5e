namespace Conductor.Core.Jobs;

/// <summary>
/// Machine words for why a job waits or why it ended, as Slurm's REASON column.
/// </summary>
public static class JobReason
{
    public const string None = "None";

    // While PENDING.
    public const string Resources = "Resources";
    public const string Priority = "Priority";
    public const string Dependency = "Dependency";
    public const string BeginTime = "BeginTime";
    public const string Held = "Held";
    public const string AssocGrpCpuLimit = "AssocGrpCpuLimit";
    public const string AssocMaxJobsLimit = "AssocMaxJobsLimit";
    public const string PartitionDown = "PartitionDown";

    // When finished.
    public const string NonZeroExitCode = "NonZeroExitCode";
    public const string TimeLimit = "TimeLimit";
    public const string Orphaned = "Orphaned";
    public const string NodeFail = "NodeFail";
    public const string SpawnError = "SpawnError";
    public const string WorkerShutdown = "WorkerShutdown";
    public const string Expired = "Expired";
    public const string DependencyNeverSatisfied = "DependencyNeverSatisfied";
    public const string CancelledByUser = "CancelledByUser";
    public const string OutOfMemory = "OutOfMemory";
    public const string Requeued = "Requeued";

    /// <summary>The job wrote more than the configured output limit and was stopped by SIGXFSZ.</summary>
    public const string OutputLimit = "OutputLimit";
}
