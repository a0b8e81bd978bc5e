using Conductor.Core.Jobs;
using Conductor.Core.Recovery;
using Conductor.Core.Storage;
using Microsoft.Extensions.Options;
using Conductor.Worker.Processes;
using Conductor.Worker.Processes.Cgroups;
using Conductor.Worker.Supervision;

namespace Conductor.Worker.Recovery;

/// <summary>
/// The named step that runs when a worker starts, before it claims anything: kill survivors of
/// jobs failed as NodeFail (fencing), settle every RUNNING job this node holds according to
/// <see cref="RecoveryRules"/>, then release any allocation still held by a finished job.
/// Idempotent: a second run finds nothing to change (adopted jobs stay RUNNING and are adopted
/// again by the next process). Settled jobs are written in batches of compare-and-set moves,
/// so ten thousand orphans cost a handful of statements. Logs counts.
/// </summary>
public sealed class StartupRecovery(
    JobStore store, IProcessProbe probe, JobCgroups cgroups, JobSupervisor supervisor, RunningJobs running, StoreRetry retry,
    IOptions<WorkerOptions> options, ILogger<StartupRecovery> log)
{
    private const int BatchSize = 1000;

    public async Task RecoverAsync(string node, CancellationToken ct)
    {
        var survivors = await KillNodeFailSurvivorsAsync(node);
        var jobs = await retry.RunAsync("list running jobs", c => store.RunningOnNodeAsync(node, c));
        var cores = await retry.RunAsync("list allocations", c => store.ActiveCoresByJobAsync(node, c));
        var counts = Enum.GetValues<RecoveryAction>().ToDictionary(a => a, _ => 0);
        var moves = new List<(Transition, bool)>();
        foreach (var job in jobs)
        {
            var (action, move) = await RecoverOneAsync(job, node, cores.GetValueOrDefault(job.Id, job.Cpus));
            counts[action]++;
            if (move is not null) moves.Add((move, job.MaxRetries > 0));
        }
        foreach (var chunk in moves.Chunk(BatchSize))
            await SettleAsync(chunk);
        var released = await retry.RunAsync("release leaked allocations", c => store.ReleaseLeakedAsync(node, c));
        log.LogInformation(
            "Recovery of {Node}: {Total} running jobs; adopted {Adopted}, cancelled {Cancelled}, finished {Finished}, orphaned {Orphaned}, requeued {Requeued}; {Released} leaked allocations released, {Survivors} survivors of NodeFail jobs killed",
            node, jobs.Count, counts[RecoveryAction.Adopt], counts[RecoveryAction.AdoptAndCancel] + counts[RecoveryAction.CancelNeverStarted],
            counts[RecoveryAction.FinishFromExitStatus], counts[RecoveryAction.FailOrphaned], counts[RecoveryAction.Requeue], released, survivors);
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

    private async Task<(RecoveryAction, Transition?)> RecoverOneAsync(Job job, string node, int cores)
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
            var run = running.Add(job.Id, job.Attempt, cores);
            if (action == RecoveryAction.AdoptAndCancel) run.RequestCancel();
            _ = running.Track(run, supervisor.WatchAdoptedAsync(job, run, identity!.Value.Item1, identity.Value.Item2, identity.Value.Item3));
            return (action, null);
        }
        // The job's main process is gone: whatever it left in its cgroup is killed before the slot is freed.
        var cgroup = cgroups.Held(files, job.Attempt);
        var oom = action is RecoveryAction.FinishFromExitStatus or RecoveryAction.FailOrphaned && cgroup is not null && cgroups.OomKilled(cgroup);
        (double? CpuSeconds, long? PeakMemoryBytes) usage = default;
        if (cgroup is not null)
        {
            cgroups.Release(files, cgroup, cgroup.IsEmpty || await cgroup.KillAllAsync(JobEnding.KillPatience));
            usage = cgroups.Usage(cgroup);
        }
        return (action, Settle(job, action, exit, oom, node) with { CpuSeconds = usage.CpuSeconds, PeakMemoryBytes = usage.PeakMemoryBytes });
    }

    /// <summary>The uid a live process runs as (the owner of its /proc entry); null when it is gone.</summary>
    private static int? ProcessOwner(int pid) =>
        Mono.Unix.Native.Syscall.stat($"/proc/{pid}", out var st) == 0 ? (int)st.st_uid : null;

    /// <summary>
    /// Writes a batch of settled jobs. A failure of a job that asked for retries goes back to
    /// PENDING with its retry delay (as for a failure the worker watched); the rest in one statement.
    /// </summary>
    private async Task SettleAsync((Transition Move, bool Retryable)[] moves)
    {
        foreach (var (t, _) in moves.Where(m => m.Retryable && m.Move.To == JobState.Failed))
            await retry.RunAsync($"finish job {t.JobId}", c => store.FinishAsync(t, c));
        var rest = moves.Where(m => !(m.Retryable && m.Move.To == JobState.Failed)).Select(m => m.Move).ToList();
        await retry.RunAsync("settle recovered jobs", c => store.TransitionManyAsync(rest, c));
    }

    private static Transition Settle(Job job, RecoveryAction action, int? exit, bool oom, string node)
    {
        var (to, reason, msg) = action switch
        {
            _ when oom => (JobState.Failed, JobReason.OutOfMemory, $"The job exceeded its memory of {job.MemoryMb} MB and was killed."),
            RecoveryAction.FinishFromExitStatus when exit is { } code => ExitOutcome.Of(code),
            RecoveryAction.FailOrphaned => (JobState.Failed, JobReason.Orphaned,
                "The worker exited abnormally while the job ran, and the job's process is gone without an exit status."),
            RecoveryAction.Requeue => (JobState.Pending, JobReason.Requeued, null),
            _ => (JobState.Cancelled, JobReason.CancelledByUser, "Cancelled by user before it started."),
        };
        return new Transition(job.Id, JobState.Running, to, reason) { ExitCode = exit, ErrorMsg = msg, Attempt = job.Attempt, Node = node };
    }
}
