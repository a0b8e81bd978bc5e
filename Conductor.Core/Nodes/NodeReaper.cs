using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Conductor.Core.Nodes;

/// <summary>
/// The one judge of node liveness. Every API process and every worker runs its loop
/// (<see cref="RunAsync"/>), and <c>health-check --repair</c> runs one pass (<see cref="ReapAsync"/>):
/// a node silent for longer than the lease is declared DOWN and the RUNNING jobs of DOWN nodes end
/// as NodeFail, retried when they asked for retries. Whoever runs it, a pass is taken under one
/// advisory lock (concurrent reapers do the work once) and judges only on a witness that the
/// silence means something: the loop's own (<see cref="LeaseWitness"/>: this process saw the
/// database answer for a whole lease) and the database's (it has been up for a whole lease), the
/// only one a one-shot repair has. Without them, right after a PostgreSQL outage longer than the
/// lease every node looks dead and every running job would be failed.
/// </summary>
public sealed class NodeReaper(NodeStore nodes, TimeProvider clock, ILogger<NodeReaper> log)
{
    /// <summary>
    /// Until <paramref name="ct"/> ends, every <paramref name="period"/>: <paramref name="prove"/>
    /// (the host's own contact with the database: a worker's heartbeat, the API's query), then a
    /// pass once the database has answered for a whole lease without a failure.
    /// </summary>
    public async Task RunAsync(TimeSpan lease, TimeSpan period, Func<CancellationToken, Task> prove, CancellationToken ct)
    {
        var witness = new LeaseWitness(clock);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, clock, ct);
                await prove(ct);
                witness.Healthy();
                if (witness.CanJudge(lease)) await ReapAsync(lease, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (TransientFaults.IsTransient(e) || e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                witness.Unhealthy();
                log.LogWarning("Node liveness check failed: {Error}", e.Message);
            }
        }
    }

    /// <summary>One pass; does nothing while another reaper holds the lock, and marks nobody DOWN while PostgreSQL has been up for less than a lease.</summary>
    public async Task<ReapResult> ReapAsync(TimeSpan lease, CancellationToken ct)
    {
        var result = await nodes.ReapDeadNodesAsync(lease, ct);
        if (result.NodesMarkedDown.Count > 0 || result.Jobs.Count > 0)
            log.LogWarning("Marked nodes {Nodes} DOWN after {Lease} without heartbeat; running jobs of DOWN nodes ended as NodeFail: {Jobs}",
                result.NodesMarkedDown, lease, result.Jobs.Select(j => $"{j.JobId} -> {j.MovedTo.ToWire()}"));
        return result;
    }
}
