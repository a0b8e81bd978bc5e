using Conductor.Core.Jobs;
using Npgsql;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

public sealed partial class JobStore
{
    /// <summary>
    /// Ends a RUNNING attempt. A failure of a job that asked for retries (max_retries &gt; 0)
    /// with attempts left goes back to PENDING instead of FAILED, eligible after its retry delay;
    /// everything else is written as asked. Both are compare-and-set on RUNNING and the attempt,
    /// so trying the retry first and the plain write second cannot both succeed. The one rule for
    /// every end of an attempt: the supervisor's, recovery's and the node reaper's.
    /// </summary>
    /// <returns>The state the job moved to, or null when someone else moved it first.</returns>
    public async Task<JobState?> FinishAsync(Transition t, CancellationToken ct)
    {
        foreach (var step in FinishSteps(t))
            if (await TransitionAsync(step, ct)) return step.To;
        return null;
    }

    /// <summary><see cref="FinishAsync"/> for many attempts, in one batch of two statements.</summary>
    /// <returns>For each finish in order, the state its job moved to (null: someone else moved it first).</returns>
    public async Task<IReadOnlyList<JobState?>> FinishManyAsync(IReadOnlyList<Transition> finishes, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        return await FinishManyAsync(conn, finishes, ct);
    }

    /// <summary><see cref="FinishManyAsync(IReadOnlyList{Transition}, CancellationToken)"/> on the caller's connection (and transaction, if any).</summary>
    internal static async Task<IReadOnlyList<JobState?>> FinishManyAsync(NpgsqlConnection conn, IReadOnlyList<Transition> finishes, CancellationToken ct)
    {
        if (finishes.Count == 0) return [];
        // All retries first, then every finish as asked: each job is moved by one of the two at most.
        var retries = finishes.Select(FinishSteps).Where(s => s.Count > 1).Select(s => s[0]).ToList();
        await using var batch = new NpgsqlBatch(conn) { BatchCommands = { GenericPlans() } };
        if (retries.Count > 0) batch.BatchCommands.Add(TransitionCommand(retries));
        batch.BatchCommands.Add(TransitionCommand(finishes));
        var retried = new HashSet<long>();
        var moved = new HashSet<long>();
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            foreach (var into in retries.Count > 0 ? new[] { retried, moved } : [moved])
            {
                await r.NextResultAsync(ct);
                while (await r.ReadAsync(ct)) into.Add(r.GetInt64(0));
            }
        }
        return finishes.Select(f => retried.Contains(f.JobId) ? JobState.Pending : moved.Contains(f.JobId) ? f.To : (JobState?)null).ToList();
    }

    /// <summary>
    /// The compare-and-set writes of a finish, in order; at most one can move the job, since each
    /// requires RUNNING and the first one that moves it leaves it otherwise. Run back to back
    /// they are what <see cref="FinishAsync"/> does, so they can also go in one batch.
    /// </summary>
    private static IReadOnlyList<Transition> FinishSteps(Transition t) =>
        t is { From: JobState.Running, To: JobState.Failed } ? [t with { To = JobState.Pending, Retry = true }, t] : [t];
}
