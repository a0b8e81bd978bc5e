using Conductor.Core.Recovery;
using Conductor.Core.Storage;

namespace Conductor.Api.Health;

/// <summary>
/// The API also reaps dead nodes, so that jobs of a dead node end as NodeFail even when no
/// other worker is alive. Concurrent reapers (API replicas, workers) serialise on an advisory
/// lock inside <see cref="NodeStore.ReapDeadNodesAsync"/>.
/// </summary>
internal sealed class DeadNodeMonitor(NodeStore nodes, IConfiguration config, ILogger<DeadNodeMonitor> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var lease = TimeSpan.FromSeconds(config.GetValue("Conductor:Worker:LeaseSeconds", 30.0));
        var period = TimeSpan.FromSeconds(Math.Clamp(lease.TotalSeconds / 4, 1, 10));
        var witness = new LeaseWitness(TimeProvider.System);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, ct);
                await nodes.ListAsync(ct); // proves the database answers before judging anyone
                witness.Healthy();
                if (!witness.CanJudge(lease)) continue;
                var result = await nodes.ReapDeadNodesAsync(lease, ct);
                if (result.NodesMarkedDown.Count > 0 || result.JobsFailed > 0)
                    log.LogWarning("Marked nodes {Nodes} DOWN after {Lease} without heartbeat; {Jobs} running jobs failed as NodeFail",
                        result.NodesMarkedDown, lease, result.JobsFailed);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                witness.Unhealthy();
                log.LogWarning("Dead-node check failed: {Error}", e.Message);
            }
        }
    }
}
