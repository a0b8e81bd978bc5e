using Conductor.Api.Auth;
using Conductor.Api.Jobs;
using Npgsql;

namespace Conductor.Api.WebConsole;

/// <summary>
/// <c>GET /nodes/cores</c>: the nodes picture, core by core: which job holds each core (its id
/// and name when the caller may see the job; only "held" when it belongs to another account),
/// memory held, heartbeat age and state; its GPUs the same way, with their model. Read from the
/// active allocations in one statement.
/// </summary>
internal static class NodeCoresEndpoint
{
    public sealed record Core(int Id, string? JobId, string? JobName, bool Held);

    public sealed record Gpu(int Id, string Model, string? JobId, string? JobName, bool Held);

    public sealed record Node(string Name, string Partition, string State, int Cpus, long MemoryMb, long MemoryUsedMb,
        double HeartbeatAgeSeconds, IReadOnlyList<Core> Cores, IReadOnlyList<Gpu> Gpus);

    public sealed record Response(IReadOnlyList<Node> Nodes);

    private sealed record Holder(long JobId, string? Name, string Account, long MemoryMb);

    public static async Task<Response> Handle(Caller caller, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(Sql, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var nodes = new List<Node>();
        var holders = new Dictionary<string, Dictionary<int, Holder>>();
        var gpuHolders = new Dictionary<string, Dictionary<int, Holder>>();
        var rows = new List<(string Name, string Partition, string State, int Cpus, int[] CoreIds, long Memory, double Age, string Devices)>();
        while (await r.ReadAsync(ct))
        {
            var name = r.GetString(0);
            if (!holders.ContainsKey(name))
            {
                holders[name] = new();
                gpuHolders[name] = new();
                rows.Add((name, r.GetString(1), r.GetString(2).ToUpperInvariant(), r.GetInt32(3), r.GetFieldValue<int[]>(4), r.GetInt64(5), r.GetDouble(6),
                    r.GetString(12)));
            }
            if (r.IsDBNull(7)) continue;
            var holder = new Holder(r.GetInt64(7), r.IsDBNull(8) ? null : r.GetString(8), r.GetString(9), r.GetInt64(11));
            foreach (var core in r.GetFieldValue<int[]>(10)) holders[name][core] = holder;
            foreach (var gpu in r.GetFieldValue<int[]>(13)) gpuHolders[name][gpu] = holder;
        }
        foreach (var n in rows)
        {
            var held = holders[n.Name];
            var ids = n.CoreIds.Length > 0 ? n.CoreIds : Enumerable.Range(0, n.Cpus).ToArray();
            var cores = ids.Select(id => held.TryGetValue(id, out var h) ? Describe(id, h, caller) : new Core(id, null, null, false)).ToList();
            var memory = held.Values.DistinctBy(h => h.JobId).Sum(h => h.MemoryMb);
            var gpus = Conductor.Core.Nodes.DeviceJson.Read(n.Devices).Select(d => gpuHolders[n.Name].TryGetValue(d.Id, out var h)
                ? caller.Owns(h.Account) ? new Gpu(d.Id, d.Model, JobView.Id(h.JobId), h.Name ?? $"job-{h.JobId}", true) : new Gpu(d.Id, d.Model, null, null, true)
                : new Gpu(d.Id, d.Model, null, null, false)).ToList();
            nodes.Add(new Node(n.Name, n.Partition, n.State, n.Cpus, n.Memory, memory, Math.Round(n.Age, 1), cores, gpus));
        }
        return new Response(nodes);
    }

    /// <summary>Another account's job stays unnamed: the picture shows the core taken, nothing more.</summary>
    private static Core Describe(int id, Holder h, Caller caller) =>
        caller.Owns(h.Account) ? new Core(id, JobView.Id(h.JobId), h.Name ?? $"job-{h.JobId}", true) : new Core(id, null, null, true);

    private const string Sql = """
        SELECT n.name, n.partition, n.state, n.cpus, n.core_ids, n.memory_mb,
               extract(epoch FROM now() - n.last_heartbeat)::float8,
               a.job_id, j.name, j.account, a.cpu_ids, a.memory_mb, n.devices::text, a.gpu_ids
        FROM nodes n
        LEFT JOIN allocations a ON a.node = n.name AND a.released_at IS NULL
        LEFT JOIN jobs j ON j.id = a.job_id
        ORDER BY n.name, a.job_id
        """;
}
