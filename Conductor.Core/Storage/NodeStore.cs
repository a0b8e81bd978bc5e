using Conductor.Core.Nodes;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>Node registration, heartbeats and the fencing token (instance id).</summary>
public sealed partial class NodeStore(IDbContextFactory<ConductorDbContext> contexts, NpgsqlDataSource db)
{
    /// <summary>
    /// Registers (or re-registers) a node under a fresh instance id, in one statement, with the
    /// database's clock as its first heartbeat. The newest registration wins: an older worker
    /// process with the same name sees its id replaced and stops claiming.
    /// </summary>
    public async Task RegisterAsync(Node node, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            INSERT INTO nodes (name, partition, cpus, core_ids, memory_mb, state, instance_id, boot_id, registered_at, last_heartbeat, devices)
            VALUES (@n, @p, @c, @cores, @m, @s, @i, @b, now(), now(), @d::jsonb)
            ON CONFLICT (name) DO UPDATE SET partition = excluded.partition, cpus = excluded.cpus, core_ids = excluded.core_ids, devices = excluded.devices,
                memory_mb = excluded.memory_mb, state = excluded.state, instance_id = excluded.instance_id, boot_id = excluded.boot_id,
                registered_at = excluded.registered_at, last_heartbeat = excluded.last_heartbeat
            """,
            P("n", NpgsqlDbType.Varchar, node.Name), P("p", NpgsqlDbType.Varchar, node.Partition), P("c", NpgsqlDbType.Integer, node.Cpus),
            P("cores", NpgsqlDbType.Array | NpgsqlDbType.Integer, node.CoreIds), P("m", NpgsqlDbType.Bigint, node.MemoryMb),
            P("s", NpgsqlDbType.Varchar, node.State.ToString()), P("i", NpgsqlDbType.Uuid, node.InstanceId),
            P("b", NpgsqlDbType.Text, node.BootId), P("d", NpgsqlDbType.Text, DeviceJson.Write(node.Devices)));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<Node>> ListAsync(CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        return await ctx.Nodes.AsNoTracking().OrderBy(n => n.Name).ToListAsync(ct);
    }

    /// <summary>Cores in use per node, from active allocations (never from a counter).</summary>
    public async Task<Dictionary<string, int>> UsedCoresAsync(CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        return await ctx.Allocations.Where(a => a.ReleasedAt == null)
            .GroupBy(a => a.Node).Select(g => new { g.Key, Used = g.Sum(a => a.Cpus) })
            .ToDictionaryAsync(x => x.Key, x => x.Used, ct);
    }
}
