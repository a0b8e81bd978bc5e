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
        if (t is { From: JobState.Running, To: JobState.Failed }
            && await TransitionAsync(t with { To = JobState.Pending, Retry = true }, ct))
            return JobState.Pending;
        return await TransitionAsync(t, ct) ? t.To : null;
    }
}
