using Npgsql;
using static Conductor.Core.Operations.FindingQuery;

namespace Conductor.Core.Operations;

/// <summary>
/// The resource invariants and liveness rules of FAULT_TOLERANCE.md (docs/architecture.md says
/// where each is kept), each as one SQL statement so that it reads one consistent snapshot: a claim
/// writes the RUNNING job and its allocation in one statement and a transition releases it in
/// the same statement, so on a healthy cluster no interleaving can make these fire.
/// </summary>
public sealed partial class InvariantChecks(NpgsqlDataSource db)
{
    public const string PidsAliveCheck = "running_job_pids_alive";

    public async Task<IReadOnlyList<CheckResult>> RunAllAsync(HealthThresholds thresholds, CancellationToken ct) =>
    [
        await HeartbeatsAsync(thresholds.Lease, ct),
        await AllocationsMatchRunningJobsAsync(ct),
        await NoCoreHeldTwiceAsync(ct),
        await NoGpuHeldTwiceAsync(ct),
        await CoresWithinCapacityAsync(ct),
        await NoAllocationOfFinishedJobAsync(ct),
        await NoRunningJobOnDownNodeAsync(ct),
        await NoPendingJobWhileCoresFreeAsync(thresholds, ct),
        await PidsAliveAsync(thresholds.Lease, ct),
        await DrainedAsync(ct),
    ];

    /// <summary>A node that is UP but silent longer than a lease is dead or cut off; its jobs are in limbo.</summary>
    public async Task<CheckResult> HeartbeatsAsync(TimeSpan lease, CancellationToken ct)
    {
        var stale = await FindingsAsync(db, """
            SELECT format('%s silent for %s s', name, round(extract(epoch FROM now() - last_heartbeat))::bigint)
            FROM nodes WHERE state = 'Up' AND last_heartbeat < now() - @interval ORDER BY name
            """, ct, ("interval", lease));
        var counts = await FindingsAsync(db,
            "SELECT format('%s node(s) up, %s down', count(*) FILTER (WHERE state = 'Up'), count(*) FILTER (WHERE state = 'Down')) FROM nodes", ct);
        return Verdict("node_heartbeats", stale, CheckStatus.Warning, $"every UP node heartbeats within {Durations.Format(lease)} ({counts[0]})",
            $"UP node(s) with a heartbeat older than {Durations.Format(lease)}");
    }

    /// <summary>Per node, cores held by active allocations equal the cores of its RUNNING jobs (an exclusive job holds the node).</summary>
    public async Task<CheckResult> AllocationsMatchRunningJobsAsync(CancellationToken ct)
    {
        var findings = await FindingsAsync(db, """
            WITH held AS (
                SELECT node, sum(cpus) AS cores FROM allocations WHERE released_at IS NULL GROUP BY node),
            running AS (
                SELECT j.node, sum(CASE WHEN j.exclusive THEN coalesce(n.cpus, j.cpus) ELSE j.cpus END) AS cores
                FROM jobs j LEFT JOIN nodes n ON n.name = j.node
                WHERE j.state = 'RUNNING' GROUP BY j.node)
            SELECT format('%s: allocations hold %s core(s), RUNNING jobs have %s',
                          coalesce(h.node, r.node, '(no node)'), coalesce(h.cores, 0), coalesce(r.cores, 0))
            FROM held h FULL JOIN running r ON r.node = h.node
            WHERE coalesce(h.cores, 0) <> coalesce(r.cores, 0)
            ORDER BY 1
            """, ct);
        return Verdict("allocations_match_running_jobs", findings, CheckStatus.Critical,
            "cores held by active allocations equal the cores of RUNNING jobs on every node", "node(s) out of balance");
    }

    public async Task<CheckResult> NoCoreHeldTwiceAsync(CancellationToken ct)
    {
        var findings = await FindingsAsync(db, """
            SELECT format('core %s of %s held by jobs %s', core, node, string_agg(job_id::text, ',' ORDER BY job_id))
            FROM allocations, unnest(cpu_ids) AS core
            WHERE released_at IS NULL
            GROUP BY node, core HAVING count(*) > 1
            ORDER BY node, core
            """, ct);
        return Verdict("no_core_held_twice", findings, CheckStatus.Critical, "no core id is held twice on any node", "core(s) held twice");
    }

    public async Task<CheckResult> CoresWithinCapacityAsync(CancellationToken ct)
    {
        var findings = await FindingsAsync(db, """
            SELECT format('%s uses %s of %s cores', n.name, sum(a.cpus), n.cpus)
            FROM nodes n JOIN allocations a ON a.node = n.name AND a.released_at IS NULL
            GROUP BY n.name, n.cpus HAVING sum(a.cpus) > n.cpus
            ORDER BY n.name
            """, ct);
        return Verdict("cores_within_capacity", findings, CheckStatus.Critical, "no node uses more cores than it has", "node(s) over capacity");
    }

    /// <summary>An allocation is leaked when its job is not RUNNING in the same attempt (or is gone).</summary>
    public async Task<CheckResult> NoAllocationOfFinishedJobAsync(CancellationToken ct)
    {
        var findings = await FindingsAsync(db, """
            SELECT format('job %s (%s) holds cores %s on %s', a.job_id, coalesce(j.state, 'deleted'), a.cpu_ids, a.node)
            FROM allocations a LEFT JOIN jobs j ON j.id = a.job_id
            WHERE a.released_at IS NULL AND (j.id IS NULL OR j.state <> 'RUNNING' OR j.attempt <> a.attempt)
            ORDER BY a.job_id
            """, ct);
        return Verdict("no_allocation_of_finished_job", findings, CheckStatus.Critical,
            "every active allocation belongs to a RUNNING job", "leaked allocation(s) (repair: release)");
    }

    public async Task<CheckResult> NoRunningJobOnDownNodeAsync(CancellationToken ct)
    {
        var findings = await FindingsAsync(db, """
            SELECT format('job %s on %s', j.id, j.node)
            FROM jobs j JOIN nodes n ON n.name = j.node
            WHERE j.state = 'RUNNING' AND n.state = 'Down'
            ORDER BY j.id
            """, ct);
        return Verdict("no_running_job_on_down_node", findings, CheckStatus.Critical,
            "no RUNNING job sits on a DOWN node", "RUNNING job(s) on DOWN nodes (repair: FAILED NodeFail)");
    }
}
