namespace Conductor.Core.Jobs;

/// <summary>
/// The one table of legal state moves. Nothing else decides whether a move is allowed;
/// every store method that changes a state asks <see cref="IsAllowed"/> first and then
/// writes with a compare-and-set on the expected source state.
/// </summary>
public static class JobTransitions
{
    private static readonly HashSet<(JobState From, JobState To)> Allowed =
    [
        (JobState.Pending, JobState.Running),
        (JobState.Pending, JobState.Cancelled),
        (JobState.Pending, JobState.Failed),     // expired, dependency never satisfied
        (JobState.Running, JobState.Completed),
        (JobState.Running, JobState.Failed),
        (JobState.Running, JobState.Cancelled),
        (JobState.Running, JobState.Pending),    // claimed but never spawned: it never ran
    ];

    public static bool IsAllowed(JobState from, JobState to) => Allowed.Contains((from, to));

    public static bool IsTerminal(this JobState state) =>
        state is JobState.Completed or JobState.Failed or JobState.Cancelled;

    public static void EnsureAllowed(JobState from, JobState to)
    {
        if (!IsAllowed(from, to))
        {
            throw new InvalidOperationException($"Illegal job transition {from.ToWire()} -> {to.ToWire()}.");
        }
    }
}
