using Conductor.Core.Jobs;

namespace Conductor.Core.Storage;

/// <summary>
/// One requested state move. <see cref="Attempt"/>, when set, pins the write to the run the
/// caller owns, so a late writer can never finish a later attempt of the same job.
/// </summary>
public sealed record Transition(long JobId, JobState From, JobState To, string Reason)
{
    public string? ErrorMsg { get; init; }
    public int? ExitCode { get; init; }
    public int? Attempt { get; init; }
    public string? Node { get; init; }

    /// <summary>What the job's cgroup measured (CPU time, peak memory), written with a finish.</summary>
    public double? CpuSeconds { get; init; }
    public long? PeakMemoryBytes { get; init; }
    public double? CpuUserSeconds { get; init; }
    public double? CpuSystemSeconds { get; init; }

    /// <summary>
    /// With <see cref="To"/> = PENDING: the attempt ran and failed and is to run again. The
    /// attempt number is kept (not undone as for a never-spawned requeue), the write applies
    /// only while attempts are left (attempt &lt;= max_retries), and the job is not eligible
    /// before its retry delay has passed.
    /// </summary>
    public bool Retry { get; init; }

    /// <summary>
    /// With <see cref="To"/> = PENDING: put the job back in line as a new attempt (the attempt number
    /// is kept and the next claim counts it), eligible at once, whatever its retries.
    /// </summary>
    public RequeueKind Requeue { get; init; }

    /// <summary>
    /// The pid record of a job that ended before it was written on its own (see <see cref="SpawnRecord"/>):
    /// written by the same statement that ends the attempt, so a short job's row is updated once.
    /// </summary>
    public SpawnRecord? Spawn { get; init; }

    /// <summary>The event row's message: who did what, for people (a requeue's origin, say).</summary>
    public string? EventMessage { get; init; }

    /// <summary>The move that ends an attempt (or a job that never started) with <paramref name="outcome"/>.</summary>
    public static Transition Ending(long jobId, JobState from, JobOutcome outcome) =>
        new(jobId, from, outcome.State, outcome.Reason) { ErrorMsg = outcome.Message };
}

/// <summary>Whether a move to PENDING is a requeue: not one, always (asked for), or only if the job said <c>"requeue": true</c>.</summary>
public enum RequeueKind
{
    None = 0,
    Always = 1,
    IfJobAsked = 2,
}
