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
        var counts = Enum.GetValues<RecoveryAction>().ToDictionary(a => a, _ => 0);
        var jobs = await retry.RunAsync("list running jobs", c => store.RunningOnNodeAsync(node, c));
        foreach (var job in jobs)
        {
            var action = await RecoverOneAsync(job, node, ct);
            counts[action]++;
        }
        var released = await retry.RunAsync("release leaked allocations", c => store.ReleaseLeakedAsync(node, c));
        log.LogInformation(
            "Recovery of {Node}: {Total} running jobs; adopted {Adopted}, cancelled {Cancelled}, finished {Finished}, orphaned {Orphaned}, requeued {Requeued}; {Released} leaked allocations released",
            node, jobs.Count, counts[RecoveryAction.Adopt], counts[RecoveryAction.AdoptAndCancel] + counts[RecoveryAction.CancelNeverStarted],
            counts[RecoveryAction.FinishFromExitStatus], counts[RecoveryAction.FailOrphaned], counts[RecoveryAction.Requeue], released);
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
        switch (action)
        {
            case RecoveryAction.Adopt or RecoveryAction.AdoptAndCancel:
                await AdoptAsync(job, files, identity!.Value, action == RecoveryAction.AdoptAndCancel, ct);
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

    private async Task AdoptAsync(Job job, JobFiles files, (int Pid, long Ticks, string Boot) id, bool cancel, CancellationToken ct)
    {
        if (job.Pid is null)
        {
            // Crash window #2: spawned but never recorded. Record it now from the pid file.
            var record = new SpawnRecord(id.Pid, id.Ticks, id.Boot, files.WorkDir, files.StdoutPath, files.StderrPath);
            await retry.RunAsync("record recovered pid", c => store.RecordSpawnAsync(job.Id, job.Attempt, record, c));
        }
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
