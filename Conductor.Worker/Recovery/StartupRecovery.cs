using Conductor.Core.Jobs;
using Conductor.Core.Recovery;
using Conductor.Core.Storage;
using Conductor.Worker.Dispatch;
using Conductor.Worker.Execution;
using Microsoft.Extensions.Options;

namespace Conductor.Worker.Recovery;

/// <summary>
/// The named step that runs when a worker starts, before it claims anything: settle every
/// RUNNING job this node holds according to <see cref="RecoveryRules"/>, then release any
/// allocation still held by a finished job. Idempotent: a second run finds nothing to change
/// (adopted jobs stay RUNNING and are adopted again by the next process). Logs counts.
/// </summary>
public sealed class StartupRecovery(
    JobStore store, IProcessProbe probe, JobSupervisor supervisor, RunningJobs running, StoreRetry retry,
    IOptions<WorkerOptions> options, ILogger<StartupRecovery> log)
{
    public async Task RecoverAsync(string node, CancellationToken ct)
    {
        var survivors = await KillNodeFailSurvivorsAsync(node);
        var counts = Enum.GetValues<RecoveryAction>().ToDictionary(a => a, _ => 0);
        var jobs = await retry.RunAsync("list running jobs", c => store.RunningOnNodeAsync(node, c));
        foreach (var job in jobs)
        {
            var action = await RecoverOneAsync(job, node, ct);
            counts[action]++;
        }
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
            if (!probe.IsSameProcess(job.Pid!.Value, job.ProcessStartTicks ?? -1, job.BootId!)) continue;
            log.LogWarning("Job {JobId} was failed as NodeFail but its process {Pid} survived; killing its process group", job.Id, job.Pid);
            ProcessGroups.Kill(job.Pid.Value);
            killed++;
        }
        return killed;
    }

    private async Task<RecoveryAction> RecoverOneAsync(Job job, string node, CancellationToken ct)
    {
        var files = new JobFiles(options.Value.DataDir, job);
        var identity = job.Pid is { } pid && job.ProcessStartTicks is { } ticks && job.BootId is { } boot
            ? (pid, ticks, boot)
            : files.ReadPidFile();
        var alive = identity is { } id && probe.IsSameProcess(id.Item1, id.Item2, id.Item3);
        var exit = files.ReadExitStatus();
        var action = RecoveryRules.Decide(new RecoveryObservation(identity is not null, alive, exit, job.CancelRequested));
        log.LogInformation("Recovery of job {JobId}: pid {Pid}, alive {Alive}, exit status {ExitStatus} -> {Action}",
            job.Id, identity?.Item1, alive, exit, action);
        if (job.Pid is null && identity is { } found)
        {
            // Crash window #2: spawned but never recorded. Record it from the pid file so the
            // job's pid and output paths are known whatever happens next.
            var record = new SpawnRecord(found.Item1, found.Item2, found.Item3, files.WorkDir, files.StdoutPath, files.StderrPath);
            await retry.RunAsync("record recovered pid", c => store.RecordSpawnAsync(job.Id, job.Attempt, record, c));
        }
        switch (action)
        {
            case RecoveryAction.Adopt or RecoveryAction.AdoptAndCancel:
                await AdoptAsync(job, identity!.Value, action == RecoveryAction.AdoptAndCancel, ct);
                break;
            case RecoveryAction.FinishFromExitStatus:
                await MoveAsync(job, exit == 0 ? JobState.Completed : JobState.Failed,
                    exit == 0 ? JobReason.None : JobReason.NonZeroExitCode, exit, exit == 0 ? null : $"The script exited with status {exit}.", node);
                break;
            case RecoveryAction.FailOrphaned:
                await MoveAsync(job, JobState.Failed, JobReason.Orphaned, null,
                    "The worker exited abnormally while the job ran, and the job's process is gone without an exit status.", node);
                break;
            case RecoveryAction.Requeue:
                await MoveAsync(job, JobState.Pending, JobReason.Requeued, null, null, node);
                break;
            case RecoveryAction.CancelNeverStarted:
                await MoveAsync(job, JobState.Cancelled, JobReason.CancelledByUser, null, "Cancelled by user before it started.", node);
                break;
        }
        return action;
    }

    private async Task AdoptAsync(Job job, (int Pid, long Ticks, string Boot) id, bool cancel, CancellationToken ct)
    {
        var run = running.Add(job.Id, job.Attempt, await CoresAsync(job, ct));
        if (cancel) run.RequestCancel();
        _ = running.Track(run, supervisor.WatchAdoptedAsync(job, run, id.Pid, id.Ticks, id.Boot));
    }

    private async Task<int> CoresAsync(Job job, CancellationToken ct) =>
        (await store.GetLatestAllocationAsync(job.Id, ct))?.Cpus ?? job.Cpus;

    private Task<bool> MoveAsync(Job job, JobState to, string reason, int? exit, string? msg, string node) =>
        retry.RunAsync($"recover job {job.Id}", c => store.TransitionAsync(
            new Transition(job.Id, JobState.Running, to, reason) { ExitCode = exit, ErrorMsg = msg, Attempt = job.Attempt, Node = node }, c));
}
