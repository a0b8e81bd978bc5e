using Conductor.Core.Nodes;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Conductor.Core.Storage;

/// <summary>Node registration, heartbeats and the fencing token (instance id).</summary>
public sealed partial class NodeStore(IDbContextFactory<ConductorDbContext> contexts, NpgsqlDataSource db)
{
    /// <summary>
    /// Registers (or re-registers) a node under a fresh instance id. The newest registration
    /// wins: an older worker process with the same name sees its id replaced and stops claiming.
    /// </summary>
    public async Task RegisterAsync(Node node, CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        var existing = await ctx.Nodes.FirstOrDefaultAsync(n => n.Name == node.Name, ct);
        if (existing is null)
        {
            ctx.Nodes.Add(node);
        }
        else
        {
            existing.Partition = node.Partition;
            existing.Cpus = node.Cpus;
            existing.CoreIds = node.CoreIds;
            existing.MemoryMb = node.MemoryMb;
            existing.State = node.State;
            existing.InstanceId = node.InstanceId;
            existing.BootId = node.BootId;
            existing.RegisteredAt = node.RegisteredAt;
            existing.LastHeartbeat = node.LastHeartbeat;
        }
        await ctx.SaveChangesAsync(ct);
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
