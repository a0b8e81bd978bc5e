using static Conductor.Core.Operations.FindingQuery;

namespace Conductor.Core.Operations;

public sealed partial class InvariantChecks
{
    /// <summary>
    /// A job eligible for longer than the threshold although a live node of its partition has
    /// enough free cores: the scheduler is stuck (or every worker is fenced). The planner may
    /// legitimately hold small jobs back behind a big one, hence a threshold, and a WARNING.
    /// </summary>
    public async Task<CheckResult> NoPendingJobWhileCoresFreeAsync(HealthThresholds thresholds, CancellationToken ct)
    {
        var findings = await FindingsAsync(db, """
            WITH live AS (
                SELECT n.name, n.partition, n.cpus,
                       n.cpus - coalesce((SELECT sum(a.cpus) FROM allocations a
                                          WHERE a.node = n.name AND a.released_at IS NULL), 0) AS free
                FROM nodes n WHERE n.state = 'Up' AND n.last_heartbeat >= now() - @lease)
            SELECT format('job %s (%s core(s), partition %s) waiting %s s', j.id, j.cpus, j.partition,
                          round(extract(epoch FROM now() - j.eligible_time))::bigint)
            FROM jobs j
            WHERE j.state = 'PENDING' AND j.eligible_time < now() - @age
              AND EXISTS (SELECT 1 FROM live l WHERE l.partition = j.partition AND l.free >= j.cpus
                                                 AND (NOT j.exclusive OR l.free = l.cpus))
            ORDER BY j.id
            """, ct, ("lease", thresholds.Lease), ("age", thresholds.PendingAge));
        return Verdict("pending_while_cores_free", findings, CheckStatus.Warning,
            $"no job has waited longer than {Durations.Format(thresholds.PendingAge)} while cores were free",
            $"PENDING job(s) older than {Durations.Format(thresholds.PendingAge)} while a live node has free cores");
    }

    /// <summary>
    /// Listed so operators see the gap: workers do not yet write a pid liveness verdict to the
    /// database (that needs the dispatch loop to report it), and a probe from this process would
    /// read the wrong pid namespace under containers. Never decides the overall status.
    /// </summary>
    public static CheckResult PidsAlive() => new(PidsAliveCheck, CheckStatus.Unknown,
        "not implemented: workers do not report pid liveness to the database yet; a dead process is still caught by the worker's own recovery",
        Implemented: false);
}
