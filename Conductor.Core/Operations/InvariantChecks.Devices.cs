using static Conductor.Core.Operations.FindingQuery;

namespace Conductor.Core.Operations;

public sealed partial class InvariantChecks
{
    public const string GpuHeldTwiceCheck = "no_gpu_held_twice";

    /// <summary>
    /// A GPU (device id of a node) held by two active allocations: two jobs would share a device
    /// each believes its own. Also a device id the node does not offer (its devices changed under
    /// a running job, or a row written by hand).
    /// </summary>
    public async Task<CheckResult> NoGpuHeldTwiceAsync(CancellationToken ct)
    {
        var findings = await FindingsAsync(db, """
            SELECT format('GPU %s of %s held by jobs %s', gpu, node, string_agg(job_id::text, ',' ORDER BY job_id))
            FROM allocations, unnest(gpu_ids) AS gpu
            WHERE released_at IS NULL
            GROUP BY node, gpu HAVING count(*) > 1
            UNION ALL
            SELECT format('job %s holds GPU %s, which %s does not offer', a.job_id, gpu, a.node)
            FROM allocations a CROSS JOIN LATERAL unnest(a.gpu_ids) AS gpu
            JOIN nodes n ON n.name = a.node
            WHERE a.released_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(n.devices) d WHERE (d->>'id')::int = gpu)
            ORDER BY 1
            """, ct);
        return Verdict(GpuHeldTwiceCheck, findings, CheckStatus.Critical, "no GPU is held twice on any node, and every held GPU exists",
            "GPU(s) held twice or missing from their node");
    }
}
