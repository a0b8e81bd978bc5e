namespace Conductor.Core.Recovery;

/// <summary>What a restarting worker found for one of its RUNNING jobs.</summary>
/// <param name="HasPid">a pid is known, from the database or the pid file the spawner wrote</param>
/// <param name="Alive">that pid is alive with the recorded start time and boot id</param>
/// <param name="ExitStatus">the exit status the spawner (the job's parent) wrote, if any</param>
/// <param name="CancelRequested">a user asked to cancel it</param>
public sealed record RecoveryObservation(bool HasPid, bool Alive, int? ExitStatus, bool CancelRequested);

public enum RecoveryAction
{
    /// <summary>Process alive: keep watching it, enforce its limit, finish it when it exits.</summary>
    Adopt,

    /// <summary>Process alive but a cancel arrived while the worker was down: kill the tree → CANCELLED.</summary>
    AdoptAndCancel,

    /// <summary>Process gone, exit status on disk: COMPLETED or FAILED NonZeroExitCode.</summary>
    FinishFromExitStatus,

    /// <summary>Process gone, no exit status: FAILED Orphaned.</summary>
    FailOrphaned,

    /// <summary>Never spawned: back to PENDING, attempt unchanged, because it never ran.</summary>
    Requeue,

    /// <summary>Never spawned and cancelled meanwhile: CANCELLED.</summary>
    CancelNeverStarted,
}

/// <summary>The recovery decision table (FAULT_TOLERANCE.md; docs/architecture.md, "Recover").</summary>
public static class RecoveryRules
{
    public static RecoveryAction Decide(RecoveryObservation o) => o switch
    {
        { HasPid: false, ExitStatus: null, CancelRequested: true } => RecoveryAction.CancelNeverStarted,
        { HasPid: false, ExitStatus: null } => RecoveryAction.Requeue,
        { Alive: true, CancelRequested: true } => RecoveryAction.AdoptAndCancel,
        { Alive: true } => RecoveryAction.Adopt,
        { ExitStatus: not null } => RecoveryAction.FinishFromExitStatus,
        _ => RecoveryAction.FailOrphaned,
    };
}
