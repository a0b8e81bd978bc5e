using Conductor.Core.Storage;
using Microsoft.Extensions.Options;
using Conductor.Worker.Node;
using Conductor.Worker.Supervision;

namespace Conductor.Worker.Dispatch;

/// <summary>
/// The node's claims, made from two places: the dispatcher's loop (woken by a submit, or polling)
/// and the end of each job, whose finish claims for the cores it frees in the same transaction
/// (<see cref="FinishWriter"/>), so that one job follows another on a core after one commit, not
/// two. Nothing is claimed until the dispatcher opens the claims (after recovery), nor once the
/// node is fenced, marked down or stopping. The database decides which cores are free; the counts
/// here only size the window.
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

    /// <summary>From now on claim, and hand each claimed job to <paramref name="start"/>.</summary>
    public void Open(Action<ClaimedJob> start, CancellationToken stopping)
    {
        _stopping = stopping;
        _start = start;
    }

    /// <summary>Claim nothing until opened again (the node rejoins and recovers).</summary>
    public void Close() => _start = null;

    /// <summary>What the node claims with, as its worker registered it.</summary>
    public NodeClaim Node => node.Claim;

    /// <summary>How many jobs a claim may look at with <paramref name="freeCores"/> free; 0 while nothing may be claimed.</summary>
    public int Window(int freeCores) =>
        _start is not null && !_stopping.IsCancellationRequested && !node.Fenced && !node.MarkedDown && freeCores > 0
            ? Math.Min(options.Value.ClaimBatch, freeCores * WindowPerFreeCore)
            : 0;

    /// <summary>Cores not held by a job being started or running.</summary>
    public int FreeCores => node.Cpus - running.HeldCores;

    /// <returns>true when a full window was claimed (claim again at once).</returns>
    public async Task<bool> ClaimAsync(CancellationToken ct)
    {
        var batch = Window(FreeCores);
        if (batch == 0) return false;
        var claimed = await store.ClaimAsync(node.Claim, batch, ct);
        Start(claimed);
        return claimed.Count == batch;
    }

    /// <summary>Hands each claimed job to the dispatcher to start.</summary>
    public void Start(IReadOnlyList<ClaimedJob> claimed)
    {
        foreach (var claim in claimed) _start!(claim);
    }
}
