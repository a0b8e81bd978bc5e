namespace Conductor.Core.Jobs;

/// <summary>
/// Every way an attempt can end, in one place, whoever writes it: the supervisor that saw the
/// job end, recovery that found it ended, the API cancelling a job that never started, and the
/// node reaper. The exit status means the same whether the worker saw the job end or recovery
/// found the status on disk afterwards.
/// </summary>
public static class JobOutcomes
{
    /// <summary>128 + SIGXFSZ (25): what bash reports for a process stopped by ulimit -f.</summary>
    public const int OutputLimitStatus = 153;

    public static JobOutcome Exited(int code) => code switch
    {
        0 => new(JobState.Completed, JobReason.None, null),
        OutputLimitStatus => new(JobState.Failed, JobReason.OutputLimit, "The job wrote more than the output limit to a file and was stopped (SIGXFSZ)."),
        > 128 => new(JobState.Failed, JobReason.NonZeroExitCode, $"The job was killed by signal {code - 128} (exit status {code})."),
        _ => new(JobState.Failed, JobReason.NonZeroExitCode, $"The script exited with status {code}."),
    };

    public static readonly JobOutcome NoExitStatus =
        new(JobState.Failed, JobReason.NonZeroExitCode, "The job's process ended without an exit status (killed from outside?).");

    public static readonly JobOutcome Cancelled = new(JobState.Cancelled, JobReason.CancelledByUser, "Cancelled by user.");

    public static readonly JobOutcome CancelledBeforeStart = new(JobState.Cancelled, JobReason.CancelledByUser, "Cancelled by user before it started.");

    public static readonly JobOutcome WorkerShutdown =
        new(JobState.Failed, JobReason.WorkerShutdown, "The worker shut down and was configured to kill its jobs.");

    public static readonly JobOutcome Orphaned = new(JobState.Failed, JobReason.Orphaned,
        "The worker exited abnormally while the job ran, and the job's process is gone without an exit status.");

    /// <summary>Claimed but never started: back to PENDING, as if never claimed.</summary>
    public static readonly JobOutcome Requeued = new(JobState.Pending, JobReason.Requeued, null);

    /// <summary>Killed on request (scontrol requeue, a drain's deadline) and back in line as a new attempt.</summary>
    public static readonly JobOutcome RequeuedOnRequest = new(JobState.Pending, JobReason.Requeued, null);

    public static JobOutcome OutOfMemory(long memoryMb) =>
        new(JobState.Failed, JobReason.OutOfMemory, $"The job exceeded its memory of {memoryMb} MB and was killed.");

    public static JobOutcome TimeLimit(int? seconds) => new(JobState.Failed, JobReason.TimeLimit,
        $"Time limit of {SlurmTime.FormatElapsed(TimeSpan.FromSeconds(seconds ?? 0))} reached; the job was stopped.");

    public static JobOutcome SpawnError(string why) => new(JobState.Failed, JobReason.SpawnError, $"The job could not be started: {why}");

    public static JobOutcome NodeFail(string node) =>
        new(JobState.Failed, JobReason.NodeFail, $"Node {node} stopped sending heartbeats while the job ran; it is presumed dead.");
}
