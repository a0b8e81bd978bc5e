using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Nodes;

/// <summary><c>GET /nodes</c>: every registered node with its partition, cores in use and heartbeat.</summary>
internal static class NodesEndpoint
{
    public sealed record Item(string Name, string Partition, int Cpus, int UsedCpus, long MemoryMb, DateTime LastHeartbeat,
        double HeartbeatAgeSeconds,
        [property: System.ComponentModel.Description("UP, DOWN, DRAINING (drained, jobs still running) or DRAINED.")] string State,
        [property: System.ComponentModel.Description("Why it is drained; null when it is not.")] string? DrainReason = null,
        [property: System.ComponentModel.Description("When its running jobs are requeued if still running; null for none.")] DateTime? DrainDeadline = null);

    public sealed record Response(IReadOnlyList<Item> Nodes);

    public static async Task<Ok<Response>> Handle(NodeStore nodes, TimeProvider clock, CancellationToken ct)
    {
        var all = await nodes.ListAsync(ct);
        var used = await nodes.UsedCoresAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var items = all.Select(n => new Item(n.Name, n.Partition, n.Cpus, used.GetValueOrDefault(n.Name), n.MemoryMb,
            n.LastHeartbeat, Math.Round((now - n.LastHeartbeat).TotalSeconds, 1), NodeStates.Shown(n, used.GetValueOrDefault(n.Name)),
            n.DrainReason, n.DrainDeadline)).ToList();
        return TypedResults.Ok(new Response(items));
    }
}
