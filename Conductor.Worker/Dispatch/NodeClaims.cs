using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.Extensions.Options;
using Conductor.Worker.Node;
using Conductor.Worker.Supervision;

namespace Conductor.Worker.Dispatch;

/// <summary>
/// The node's claims, made from two places: the dispatcher's loop (woken by a submit, or polling)
/// and the end of each job, whose finish claims for the cores it frees in the same transaction,
/// so that one job follows another on a core after one commit, not two. Nothing is claimed until
/// the dispatcher opens the claims (after recovery), nor once the node is fenced, marked down or
/// stopping. The database decides which cores are free; the counts here only size the window.
/// </summary>
public sealed class NodeClaims(JobStore store, NodeAgent node, RunningJobs running, IOptions<WorkerOptions> options)
{
    /// <summary>
    /// Candidates are locked (FOR UPDATE SKIP LOCKED) while the plan is made, and each row lock is
    /// a write: look at a few candidates per free core (enough for the planner to reserve the
    /// queue head and backfill behind it), not a fixed 32 when one core is free.
    /// </summary>
    private const int WindowPerFreeCore = 4;

    private volatile Action<ClaimedJob>? _start;
    private CancellationToken _stopping = new(canceled: true);

    private readonly Lock _gate = new();
    private readonly List<PendingFinish> _finishes = [];
    private bool _writing;

    /// <summary>From now on claim, and hand each claimed job to <paramref name="start"/>.</summary>
    public void Open(Action<ClaimedJob> start, CancellationToken stopping)
    {
        _stopping = stopping;
        _start = start;
    }

    /// <summary>Claim nothing until opened again (the node rejoins and recovers).</summary>
    public void Close() => _start = null;

    private bool Claiming => _start is not null && !_stopping.IsCancellationRequested && !node.Fenced && !node.MarkedDown;

    private int Window(int freeCores) => Math.Min(options.Value.ClaimBatch, freeCores * WindowPerFreeCore);

    /// <returns>true when a full window was claimed (claim again at once).</returns>
    public async Task<bool> ClaimAsync(CancellationToken ct)
    {
        var free = node.Cpus - running.HeldCores;
        if (!Claiming || free <= 0) return false;
        var batch = Window(free);
        var claimed = await store.ClaimAsync(node.Claim, batch, ct);
        Start(claimed);
        return claimed.Count == batch;
    }

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
        var free = node.Cpus - running.HeldCores + batch.Sum(f => f.Run.Cores);
        var window = Claiming && free > 0 ? Window(free) : 0;
        if (window == 0 && batch is [{ Spawn: null } only])
        {
            var state = await store.FinishAsync(only.Finish, ct);
            only.Run.Finished = true;
            return [state];
        }
        var (moved, claimed) = await store.FinishAndClaimAsync([.. batch.Select(f => (f.Finish, f.Spawn))], node.Claim, window, ct);
        foreach (var f in batch) f.Run.Finished = true;
        // A full window may have left more that fits: then the dispatcher looks again once the job is gone.
        if (window > 0 && claimed.Count < window)
            foreach (var f in batch) f.Run.CoresReoffered = true;
        Start(claimed);
        return moved;
    }

    private void Start(IReadOnlyList<ClaimedJob> claimed)
    {
        foreach (var claim in claimed) _start!(claim);
    }
}
