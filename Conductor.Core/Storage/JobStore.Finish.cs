using Conductor.Core.Jobs;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// Ends a RUNNING attempt. A failure of a job that asked for retries (max_retries &gt; 0)
    /// with attempts left goes back to PENDING instead of FAILED, eligible after its retry delay;
    /// everything else is written as asked. Both are compare-and-set on RUNNING and the attempt,
    /// so trying the retry first and the plain write second cannot both succeed.
    /// </summary>
    /// <returns>The state the job moved to, or null when someone else moved it first.</returns>
    public async Task<JobState?> FinishAsync(Transition t, CancellationToken ct)
    {
        foreach (var step in FinishSteps(t))
            if (await TransitionAsync(step, ct)) return step.To;
        return null;
    }

    /// <summary>
    /// The compare-and-set writes of a finish, in order; at most one can move the job, since each
    /// requires RUNNING and the first one that moves it leaves it otherwise. Run back to back
    /// they are what <see cref="FinishAsync"/> does, so they can also go in one batch.
    /// </summary>
    private static IReadOnlyList<Transition> FinishSteps(Transition t) =>
        t is { From: JobState.Running, To: JobState.Failed } ? [t with { To = JobState.Pending, Retry = true }, t] : [t];
}
