using Conductor.Core.Jobs;

namespace Conductor.Worker.Processes;

/// <summary>
/// What a job's exit status means when nothing stopped it: the same whether the worker saw the
/// job end or recovery found the status on disk afterwards.
/// </summary>
public static class ExitOutcome
{
    /// <summary>128 + SIGXFSZ (25): what bash reports for a process stopped by ulimit -f.</summary>
    public const int OutputLimitStatus = 153;

    public static (JobState State, string Reason, string? Message) Of(int code) => code switch
    {
        0 => (JobState.Completed, JobReason.None, null),
        OutputLimitStatus => (JobState.Failed, JobReason.OutputLimit, "The job wrote more than the output limit to a file and was stopped (SIGXFSZ)."),
        > 128 => (JobState.Failed, JobReason.NonZeroExitCode, $"The job was killed by signal {code - 128} (exit status {code})."),
        _ => (JobState.Failed, JobReason.NonZeroExitCode, $"The script exited with status {code}."),
    };
}
