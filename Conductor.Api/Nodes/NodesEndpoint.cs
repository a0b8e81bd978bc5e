using Conductor.Api.Auth;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Nodes;

/// <summary>
/// <c>GET /nodes</c>: every registered node with its partition, cores in use, heartbeat and GPUs.
/// Every caller sees which GPU is held; which job holds it only for the caller's own jobs (an
/// admin: all), as the console's node picture shows cores: another account's work stays unnamed.
/// </summary>
internal static class NodesEndpoint
{
    public sealed record Item(string Name, string Partition, int Cpus, int UsedCpus, long MemoryMb, DateTime LastHeartbeat,
        double HeartbeatAgeSeconds,
        [property: System.ComponentModel.Description("UP, DOWN, DRAINING (drained, jobs still running) or DRAINED.")] string State,
        [property: System.ComponentModel.Description("Why it is drained; null when it is not.")] string? DrainReason = null,
        [property: System.ComponentModel.Description("When its running jobs are requeued if still running; null for none.")] DateTime? DrainDeadline = null,
        [property: System.ComponentModel.Description("Conductor: its GPUs, each with its model and whether a job holds it.")] IReadOnlyList<Device>? Devices = null);

    public sealed record Device(
        [property: System.ComponentModel.Description("The device id on its node (what CUDA_VISIBLE_DEVICES names).")] int Id,
        [property: System.ComponentModel.Description("gpu for now.")] string Kind,
        [property: System.ComponentModel.Description("The model: gres gpu:MODEL:N asks for it (e.g. a100, a100-sxm4-40gb).")] string Model,
        [property: System.ComponentModel.Description("nvidia or amd.")] string Vendor,
        [property: System.ComponentModel.Description("Held by a running job.")] bool Held,
        [property: System.ComponentModel.Description("The job holding it, when it is the caller's own (admins: any); else null.")] string? JobId);

    public sealed record Response(IReadOnlyList<Item> Nodes);

    public static async Task<Ok<Response>> Handle(NodeStore nodes, TimeProvider clock, Caller caller, CancellationToken ct)
    {
        var all = await nodes.ListAsync(ct);
        var used = await nodes.UsedCoresAsync(ct);
        var held = all.Any(n => n.Devices.Count > 0) ? (await nodes.HeldGpusAsync(ct)).ToDictionary(h => (h.Node, h.GpuId)) : [];
        var now = clock.GetUtcNow().UtcDateTime;
        var items = all.Select(n => new Item(n.Name, n.Partition, n.Cpus, used.GetValueOrDefault(n.Name), n.MemoryMb,
            n.LastHeartbeat, Math.Round((now - n.LastHeartbeat).TotalSeconds, 1), NodeStates.Shown(n, used.GetValueOrDefault(n.Name)),
            n.DrainReason, n.DrainDeadline,
            [.. n.Devices.Select(d => held.TryGetValue((n.Name, d.Id), out var h)
                ? new Device(d.Id, d.Kind, d.Model, d.Vendor, true, caller.Owns(h.Account) ? Jobs.JobView.Id(h.JobId) : null)
                : new Device(d.Id, d.Kind, d.Model, d.Vendor, false, null))])).ToList();
        return TypedResults.Ok(new Response(items));
    }
}
