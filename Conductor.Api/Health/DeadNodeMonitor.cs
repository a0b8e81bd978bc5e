using Conductor.Core.Nodes;
using Conductor.Core.Storage;

namespace Conductor.Api.Health;

/// <summary>
/// The API runs the node reaper too (<see cref="NodeReaper"/>), so that jobs of a dead node end
/// as NodeFail even when no other worker is alive. Concurrent reapers (API replicas, workers)
/// serialise on the reaper's advisory lock.
/// </summary>
internal sealed class DeadNodeMonitor(NodeReaper reaper, NodeStore nodes, IConfiguration config) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken ct)
    {
        var lease = TimeSpan.FromSeconds(config.GetValue("Conductor:Worker:LeaseSeconds", 30.0));
        var period = TimeSpan.FromSeconds(Math.Clamp(lease.TotalSeconds / 4, 1, 10));
        // Listing the nodes proves the database answers before anyone is judged.
        return reaper.RunAsync(lease, period, nodes.ListAsync, ct);
    }
}
