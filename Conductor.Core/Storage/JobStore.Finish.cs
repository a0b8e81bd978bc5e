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

    /// <summary><see cref="FinishAsync"/> for many attempts, in one batch of a statement per step (at most three).</summary>
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
        // Each finish's steps in order (requeue, retry, as asked), one statement per level: a step
        // moves the job only if every earlier one did not, since each requires RUNNING.
        var steps = finishes.Select(FinishSteps).ToList();
        var levels = steps.Max(s => s.Count);
        await using var batch = new NpgsqlBatch(conn) { BatchCommands = { KeyedPlans() } };
        // Aligned on the last step (the finish as asked), which every finish has.
        for (var level = 0; level < levels; level++)
            batch.BatchCommands.Add(TransitionCommand(
                steps.Where(s => level >= levels - s.Count).Select(s => s[level - (levels - s.Count)]).ToList()));
        var movedAt = new Dictionary<long, bool>(); // moved by an earlier step than the last: back to PENDING
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            for (var level = 0; level < levels; level++)
            {
                await r.NextResultAsync(ct);
                while (await r.ReadAsync(ct)) movedAt.TryAdd(r.GetInt64(0), level < levels - 1);
            }
        }
        return finishes.Select(f => movedAt.TryGetValue(f.JobId, out var early) ? early ? JobState.Pending : f.To : (JobState?)null).ToList();
    }

    /// <summary>
    /// The compare-and-set writes of a finish, in order; at most one can move the job, since each
    /// requires RUNNING and the first one that moves it leaves it otherwise. Run back to back
    /// they are what <see cref="FinishAsync"/> does, so they can also go in one batch.
    /// </summary>
    private static IReadOnlyList<Transition> FinishSteps(Transition t) => t switch
    {
        { From: JobState.Running, To: JobState.Failed, Reason: JobReason.NodeFail or JobReason.Orphaned } =>
            [t with { To = JobState.Pending, Requeue = RequeueKind.IfJobAsked, EventMessage = $"Requeued automatically after {t.Reason}." },
             t with { To = JobState.Pending, Retry = true }, t],
        { From: JobState.Running, To: JobState.Failed } => [t with { To = JobState.Pending, Retry = true }, t],
        _ => [t],
    };
}
