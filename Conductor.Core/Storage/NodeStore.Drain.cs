using Conductor.Core.Nodes;
using Conductor.Core.Quotas;
using Microsoft.EntityFrameworkCore;
using NpgsqlTypes;
using static Conductor.Core.Storage.Sql;

namespace Conductor.Core.Storage;

/// <summary>What a node shows in <c>/nodes</c>: DOWN, DRAINING (drained, jobs still running), DRAINED or UP.</summary>
public static class NodeStates
{
    public static string Shown(Node node, int usedCores) => node.State switch
    {
        NodeState.Down => "DOWN",
        _ when node.DrainedSince is null => "UP",
        _ => usedCores > 0 ? "DRAINING" : "DRAINED",
    };
}

public sealed partial class NodeStore
{
    /// <summary>
    /// Drains a node: it takes no new jobs from now on (the claim's node lock requires it undrained),
    /// its running jobs finish, or are requeued once <paramref name="deadline"/> passes (its worker
    /// sees that in its heartbeat). Kept in the node's row, which re-registration leaves alone, so a
    /// drained node stays drained when its worker restarts. False when the node does not exist.
    /// </summary>
    public async Task<bool> DrainAsync(string name, string reason, DateTime? deadline, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            UPDATE nodes SET drained_since = COALESCE(drained_since, now()), drain_reason = @r, drain_deadline = @d WHERE name = @n
            """, P("n", NpgsqlDbType.Varchar, name), P("r", NpgsqlDbType.Varchar, reason), P("d", NpgsqlDbType.TimestampTz, deadline));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Undoes a drain: the node claims again at its next cycle. Its partition; null when the node does not exist.</summary>
    public async Task<string?> ResumeAsync(string name, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command(
            "UPDATE nodes SET drained_since = NULL, drain_reason = NULL, drain_deadline = NULL WHERE name = @n RETURNING partition",
            P("n", NpgsqlDbType.Varchar, name));
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>Pauses (or resumes) a partition's dispatch: its queue stays, nothing of it starts while paused.</summary>
    public async Task SetPartitionPausedAsync(string partition, bool paused, string? reason, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            INSERT INTO partitions (name, paused, reason, updated_at) VALUES (@p, @paused, @r, now())
            ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, reason = excluded.reason, updated_at = excluded.updated_at
            """, P("p", NpgsqlDbType.Varchar, partition), P("paused", NpgsqlDbType.Boolean, paused), P("r", NpgsqlDbType.Varchar, reason));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<PartitionState>> PausedPartitionsAsync(CancellationToken ct)
    {
        await using var ctx = await contexts.CreateDbContextAsync(ct);
        return await ctx.Partitions.AsNoTracking().Where(p => p.Paused).OrderBy(p => p.Name).ToListAsync(ct);
    }
}
