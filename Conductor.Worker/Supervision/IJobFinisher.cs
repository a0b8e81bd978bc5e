using Conductor.Core.Jobs;
using Conductor.Core.Storage;

namespace Conductor.Worker.Supervision;

/// <summary>
/// Where a supervised job's end is written. The dispatcher implements it (its finishes claim
/// for the cores they free, in the same transaction), so supervision never calls up into it.
/// </summary>
public interface IJobFinisher
{
    /// <summary>
    /// Writes <paramref name="finish"/> (with <paramref name="spawn"/>, the pid record of a job
    /// that ended before it was written). Null when someone else moved the job first.
    /// </summary>
    Task<JobState?> FinishAsync(Transition finish, SpawnRecord? spawn, RunningJob run, CancellationToken ct);
}
