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
                                          WHERE a.node = n.name AND a.released_at IS NULL), 0) AS free,
                       jsonb_array_length(n.devices) - coalesce((SELECT sum(cardinality(a.gpu_ids)) FROM allocations a
                                          WHERE a.node = n.name AND a.released_at IS NULL), 0) AS free_gpus
                FROM nodes n WHERE n.state = 'Up' AND n.drained_since IS NULL AND n.last_heartbeat >= now() - @lease)
            SELECT format('job %s (%s core(s), partition %s) waiting %s s', j.id, j.cpus, j.partition,
                          round(extract(epoch FROM now() - j.eligible_time))::bigint)
            FROM jobs j
            WHERE j.state = 'PENDING' AND j.hold IS NULL AND j.eligible_time < now() - @age
              AND NOT EXISTS (SELECT 1 FROM partitions p WHERE p.name = j.partition AND p.paused)
              AND NOT EXISTS (SELECT 1 FROM account_quotas q WHERE q.account = j.account AND q.partition IN (j.partition, '*'))
              AND EXISTS (SELECT 1 FROM live l WHERE l.partition = j.partition AND l.free >= j.cpus AND l.free_gpus >= j.gpus
                                                 AND (NOT j.exclusive OR l.free = l.cpus))
            ORDER BY j.id
            """, ct, ("lease", thresholds.Lease), ("age", thresholds.PendingAge));
        return Verdict("pending_while_cores_free", findings, CheckStatus.Warning,
            $"no job has waited longer than {Durations.Format(thresholds.PendingAge)} while cores were free",
            $"PENDING job(s) older than {Durations.Format(thresholds.PendingAge)} while a live node has free cores");
    }

    /// <summary>
    /// Drained nodes and paused partitions are an operator's choice, not a fault: reported (OK) so
    /// that nobody wonders why a node takes no jobs.
    /// </summary>
    public async Task<CheckResult> DrainedAsync(CancellationToken ct)
    {
        var drained = await FindingsAsync(db, """
            SELECT format('node %s %s since %s: %s', n.name,
                          CASE WHEN EXISTS (SELECT 1 FROM allocations a WHERE a.node = n.name AND a.released_at IS NULL) THEN 'DRAINING' ELSE 'DRAINED' END,
                          to_char(n.drained_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), n.drain_reason)
            FROM nodes n WHERE n.drained_since IS NOT NULL
            UNION ALL
            SELECT format('partition %s paused', p.name) FROM partitions p WHERE p.paused
            ORDER BY 1
            """, ct);
        return CheckResult.Ok("drained", drained.Count == 0 ? "no node drained, no partition paused" : string.Join("; ", drained));
    }

    /// <summary>
    /// A RUNNING job whose process its own node's worker found gone (pid, start time and boot id
    /// checked on that node, reported to the database every heartbeat). Recovery settles such
    /// jobs when the worker restarts; while the worker runs it means the worker lost track.
    /// </summary>
    public async Task<CheckResult> PidsAliveAsync(TimeSpan lease, CancellationToken ct)
    {
        var findings = await FindingsAsync(db, """
            SELECT format('job %s on %s: pid %s not alive (checked %s s ago)', id, node, pid,
                          round(extract(epoch FROM now() - pid_checked_at))::bigint)
            FROM jobs WHERE state = 'RUNNING' AND pid_alive = false AND pid_checked_at > now() - @interval ORDER BY id
            """, ct, ("interval", lease * 3));
        return Verdict(PidsAliveCheck, findings, CheckStatus.Critical,
            "every RUNNING job's process is alive on its node, as its worker last reported", "RUNNING job(s) whose process is gone");
    }
}
