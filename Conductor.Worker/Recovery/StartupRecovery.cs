using Conductor.Core.Jobs;
using Conductor.Core.Recovery;
using Conductor.Core.Storage;
using Microsoft.Extensions.Options;
using Conductor.Worker.Processes;
using Conductor.Worker.Processes.Cgroups;

namespace Conductor.Worker.Recovery;

/// <summary>
/// The named step that runs when a worker starts, before it claims anything: kill survivors of
/// jobs failed as NodeFail (fencing), settle every RUNNING job this node holds according to
/// <see cref="RecoveryRules"/>, then release any allocation still held by a finished job. Jobs
/// whose process is alive are handed back as <see cref="Adoption"/>s for the dispatcher to watch.
/// Idempotent: a second run finds nothing to change (adopted jobs stay RUNNING and are adopted
/// again by the next process). Settled jobs are written in batches of finishes (the rule every
/// end of an attempt follows: a failure of a job that asked for retries is retried), so ten
/// thousand orphans cost a handful of statements. Logs counts.
/// </summary>
public sealed class StartupRecovery(
    JobStore store, IProcessProbe probe, JobCgroups cgroups, StoreRetry retry,
    IOptions<WorkerOptions> options, ILogger<StartupRecovery> log)
{
    private const int BatchSize = 1000;

    public async Task<IReadOnlyList<Adoption>> RecoverAsync(string node, CancellationToken ct)
    {
        var survivors = await KillNodeFailSurvivorsAsync(node);
        var jobs = await retry.RunAsync("list running jobs", c => store.RunningOnNodeAsync(node, c));
        var cores = await retry.RunAsync("list allocations", c => store.ActiveCoresByJobAsync(node, c));
        var counts = Enum.GetValues<RecoveryAction>().ToDictionary(a => a, _ => 0);
        var moves = new List<Transition>();
        var adopted = new List<Adoption>();
        foreach (var job in jobs)
        {
            var (action, move, adoption) = await RecoverOneAsync(job, node, cores.GetValueOrDefault(job.Id, job.Cpus));
            counts[action]++;
            if (move is not null) moves.Add(move);
            if (adoption is not null) adopted.Add(adoption);
        }
        foreach (var chunk in moves.Chunk(BatchSize))
            await retry.RunAsync("settle recovered jobs", c => store.FinishManyAsync(chunk, c));
        var released = await retry.RunAsync("release leaked allocations", c => store.ReleaseLeakedAsync(node, c));
        log.LogInformation(
            "Recovery of {Node}: {Total} running jobs; adopted {Adopted}, cancelled {Cancelled}, finished {Finished}, orphaned {Orphaned}, requeued {Requeued}; {Released} leaked allocations released, {Survivors} survivors of NodeFail jobs killed",
            node, jobs.Count, counts[RecoveryAction.Adopt], counts[RecoveryAction.AdoptAndCancel] + counts[RecoveryAction.CancelNeverStarted],
            counts[RecoveryAction.FinishFromExitStatus], counts[RecoveryAction.FailOrphaned], counts[RecoveryAction.Requeue], released, survivors);
        return adopted;
    }

    /// <summary>
    /// Fencing: jobs a peer failed as NodeFail while this node was presumed dead are over for
    /// everyone else. Any of their processes still alive here is killed before new work is taken.
    /// </summary>
    private async Task<int> KillNodeFailSurvivorsAsync(string node)
    {
        var killed = 0;
        var candidates = await retry.RunAsync("list NodeFail jobs", c => store.NodeFailedSurvivorCandidatesAsync(node, probe.BootId, c));
        foreach (var job in candidates)
        {
            // Its cgroup holds all of it, children that left its session included.
            var files = new JobFiles(options.Value.DataDir, job);
            if (cgroups.Held(files, job.Attempt) is { } cgroup)
            {
                var survived = !cgroup.IsEmpty;
                if (survived) log.LogWarning("Job {JobId} was failed as NodeFail but processes of it survived; killing its cgroup {Slot}", job.Id, cgroup.Slot);
                cgroups.Release(files, cgroup, !survived || await cgroup.KillAllAsync(JobEnding.KillPatience));
                if (survived) killed++;
                continue;
            }
            if (!probe.IsSameProcess(job.Pid!.Value, job.ProcessStartTicks ?? -1, job.BootId!)) continue;
            log.LogWarning("Job {JobId} was failed as NodeFail but its process {Pid} survived; killing its process group", job.Id, job.Pid);
            ProcessGroups.Kill(job.Pid.Value);
            killed++;
        }
        return killed;
    }

    private async Task<(RecoveryAction, Transition?, Adoption?)> RecoverOneAsync(Job job, string node, int cores)
    {
        var files = new JobFiles(options.Value.DataDir, job);
        var identity = job.Pid is { } pid && job.ProcessStartTicks is { } ticks && job.BootId is { } boot
            ? (pid, ticks, boot)
            : files.ReadPidFile();
        var alive = identity is { } id && probe.IsSameProcess(id.Item1, id.Item2, id.Item3);
        var exit = alive ? null : files.ReadExitStatus();
        var action = RecoveryRules.Decide(new RecoveryObservation(identity is not null, alive, exit, job.CancelRequested));
        log.LogInformation("Recovery of job {JobId}: pid {Pid}, alive {Alive}, exit status {ExitStatus} -> {Action}",
            job.Id, identity?.Item1, alive, exit, action);
        if (job.Pid is null && identity is { } found)
        {
            // Crash window #2: spawned but never recorded. Record it from the pid file so the
            // job's pid and output paths are known whatever happens next.
            var record = new SpawnRecord(found.Item1, found.Item2, found.Item3, files.WorkDir, files.StdoutPath, files.StderrPath,
                alive ? ProcessOwner(found.Item1) : files.OwnDirectoryOwner());
            await retry.RunAsync("record recovered pid", c => store.RecordSpawnAsync(job.Id, job.Attempt, record, c));
        }
        if (action is RecoveryAction.Adopt or RecoveryAction.AdoptAndCancel)
        {
            var (livePid, liveTicks, liveBoot) = identity!.Value;
            return (action, null, new Adoption(job, cores, livePid, liveTicks, liveBoot, action == RecoveryAction.AdoptAndCancel));
        }
        // The job's main process is gone: whatever it left in its cgroup is killed before the slot is freed.
        var cgroup = cgroups.Held(files, job.Attempt);
        var oom = action is RecoveryAction.FinishFromExitStatus or RecoveryAction.FailOrphaned && cgroup is not null && cgroups.OomKilled(cgroup);
        CgroupUsage? usage = null;
        if (cgroup is not null)
        {
            cgroups.Release(files, cgroup, cgroup.IsEmpty || await cgroup.KillAllAsync(JobEnding.KillPatience));
            usage = cgroups.Usage(cgroup);
        }
        return (action, Settle(job, action, exit, oom, node) with
        {
            CpuSeconds = usage?.CpuSeconds, PeakMemoryBytes = usage?.PeakMemoryBytes,
            CpuUserSeconds = usage?.UserSeconds, CpuSystemSeconds = usage?.SystemSeconds,
        }, null);
    }

    /// <summary>The uid a live process runs as (the owner of its /proc entry); null when it is gone.</summary>
    private static int? ProcessOwner(int pid) =>
        Mono.Unix.Native.Syscall.stat($"/proc/{pid}", out var st) == 0 ? (int)st.st_uid : null;

    private static Transition Settle(Job job, RecoveryAction action, int? exit, bool oom, string node)
    {
        var outcome = action switch
        {
            _ when oom => JobOutcomes.OutOfMemory(job.MemoryMb),
            RecoveryAction.FinishFromExitStatus when exit is { } code => JobOutcomes.Exited(code),
            RecoveryAction.FailOrphaned => JobOutcomes.Orphaned,
            RecoveryAction.Requeue => JobOutcomes.Requeued,
            _ => JobOutcomes.CancelledBeforeStart,
        };
        return Transition.Ending(job.Id, JobState.Running, outcome) with { ExitCode = exit, Attempt = job.Attempt, Node = node };
    }
}
