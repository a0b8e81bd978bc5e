using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Conductor.Worker.Supervision;

namespace Conductor.Worker.Dispatch;

/// <summary>
/// Writes the ends of this node's jobs for their supervisors, and claims for the cores they free
/// in the same transaction (<see cref="NodeClaims"/>): one commit between one job on a core and
/// the next. One finish transaction runs at a time; the finishes that arrive meanwhile are written
/// together by the next.
/// </summary>
public sealed class FinishWriter(JobStore store, NodeClaims claims) : IJobFinisher
{
    private readonly Lock _gate = new();
    private readonly List<PendingFinish> _finishes = [];
    private bool _writing;

    private sealed record PendingFinish(Transition Finish, SpawnRecord? Spawn, RunningJob Run)
    {
        // Completed by the writer, whose thread then runs the rest of the job's supervision (a
        // few lines to its end): no hand-off to the thread pool per finish.
        public TaskCompletionSource<JobState?> Written { get; } = new();
    }

    /// <summary>
    /// Ends a job (see <see cref="JobStore.FinishAsync"/>) and claims for the cores it frees, in
    /// one transaction. <paramref name="spawn"/>: the pid record of a job that ended before it was
    /// written, written with the outcome. One finish transaction runs at a time: the caller that
    /// finds none running writes, and goes on writing, together, the finishes that arrived
    /// meanwhile until there are none, rather than each waiting in PostgreSQL for the node row the
    /// one before holds until its commit. A failed write fails every finish in it, and each
    /// caller retries its own.
    /// </summary>
    public async Task<JobState?> FinishAsync(Transition finish, SpawnRecord? spawn, RunningJob run, CancellationToken ct)
    {
        var mine = new PendingFinish(finish, spawn, run);
        bool write;
        lock (_gate)
        {
            _finishes.Add(mine);
            write = !_writing;
            _writing = true;
        }
        if (write) await WriteAllAsync(ct);
        return await mine.Written.Task;
    }

    private async Task WriteAllAsync(CancellationToken ct)
    {
        while (true)
        {
            List<PendingFinish> batch;
            lock (_gate)
            {
                if (_finishes.Count == 0)
                {
                    _writing = false;
                    return;
                }
                batch = [.. _finishes];
                _finishes.Clear();
            }
            IReadOnlyList<JobState?> moved;
            try
            {
                moved = await WriteAsync(batch, ct);
            }
            catch (Exception e)
            {
                foreach (var f in batch) f.Written.TrySetException(e);
                continue;
            }
            for (var i = 0; i < batch.Count; i++) batch[i].Written.TrySetResult(moved[i]);
        }
    }

    private async Task<IReadOnlyList<JobState?>> WriteAsync(List<PendingFinish> batch, CancellationToken ct)
    {
        var window = claims.Window(claims.FreeCores + batch.Sum(f => f.Run.Cores));
        if (window == 0 && batch is [{ Spawn: null } only])
        {
            var state = await store.FinishAsync(only.Finish, ct);
            only.Run.Finished = true;
            return [state];
        }
        var (moved, claimed) = await store.FinishAndClaimAsync([.. batch.Select(f => (f.Finish, f.Spawn))], claims.Node, window, ct);
        foreach (var f in batch) f.Run.Finished = true;
        // A full window may have left more that fits: then the dispatcher looks again once the job is gone.
        if (window > 0 && claimed.Count < window)
            foreach (var f in batch) f.Run.CoresReoffered = true;
        claims.Start(claimed);
        return moved;
    }
}
