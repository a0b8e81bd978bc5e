namespace Conductor.Core.Storage;

/// <summary>A GPU held by an active allocation: on which node, by which job of which account.</summary>
public sealed record HeldGpu(string Node, int GpuId, long JobId, string Account);

public sealed partial class NodeStore
{
    /// <summary>The GPUs active allocations hold, from the allocations (never from a counter), in one query.</summary>
    public async Task<IReadOnlyList<HeldGpu>> HeldGpusAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = conn.Command("""
            SELECT a.node, g, a.job_id, j.account
            FROM allocations a CROSS JOIN LATERAL unnest(a.gpu_ids) AS g JOIN jobs j ON j.id = a.job_id
            WHERE a.released_at IS NULL AND cardinality(a.gpu_ids) > 0
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var held = new List<HeldGpu>();
        while (await r.ReadAsync(ct)) held.Add(new HeldGpu(r.GetString(0), r.GetInt32(1), r.GetInt64(2), r.GetString(3)));
        return held;
    }
}
