using Conductor.Core.Jobs;
using Conductor.Core.Storage;
using Microsoft.Extensions.Options;
using Conductor.Worker.Processes;
using Conductor.Worker.Processes.Cgroups;

namespace Conductor.Worker.Supervision;

/// <summary>
/// Runs one claimed job from spawn to its recorded end, or watches a re-adopted one.
///
/// Crash windows on the claim → spawn → record pid → wait → finish path (each one has a
/// <see cref="CrashPoints"/> checkpoint and a crash test):
///   #1 after-claim:   RUNNING + allocation committed, nothing spawned, no pid file.
///                     Recovery: never ran → back to PENDING, attempt unchanged.
///   #2 after-spawn:   the job runs and the spawner has written its pid file; the database has no pid.
///                     Recovery: finds the pid file, verifies pid + start time + boot id.
///   #3 after-record:  pid recorded. Recovery: alive → re-adopt; gone → exit_status or Orphaned.
///   #4 before-finish: the job ended (exit_status on disk), outcome not written.
///                     Recovery: gone + exit status → finished truthfully.
///   #5 after-finish:  outcome and release committed together; nothing left to do.
/// Persist before acting: the claim is committed before anything is spawned, so a job is
/// spawned at most once per attempt.
/// </summary>
public sealed class JobSupervisor(
    JobStore store, IJobFinisher finisher, IProcessLauncher launcher, IProcessProbe probe, JobCgroups cgroups, StoreRetry retry, RunAsPolicy runAs,
    Messaging.WakeUps wakeUps, Node.NodeDevices devices, IOptions<WorkerOptions> options, ILogger<JobSupervisor> log)
{
    private WorkerOptions Options => options.Value;
    private readonly AllowedRoots _roots = new(options.Value.EffectiveAllowedRoots);

    public async Task RunClaimedAsync(ClaimedJob claim, RunningJob run, CancellationToken stopping)
    {
        var job = claim.Job;
        CrashPoints.Hit(CrashPoints.AfterClaim);
        var files = new JobFiles(Options.DataDir, job);
        LaunchedProcess process;
        JobCgroup? cgroup;
        try
        {
            if (run.StopRequested.IsCancellationRequested)
            {
                await FinishAsync(job, run, JobOutcomes.CancelledBeforeStart, null);
                return;
            }
            (process, cgroup) = await SpawnAsync(job, run.Attempt, files, claim.CpuIds, claim.GpuIds, stopping);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            log.LogWarning(e, "Job {JobId} could not be spawned", job.Id);
            await FinishAsync(job, run, JobOutcomes.SpawnError(e.Message), null);
            return;
        }
        CrashPoints.Hit(CrashPoints.AfterSpawn);
        log.LogInformation("Job {JobId} started on {Node} as pid {Pid} pinned to cores {CpuIds}", job.Id, Options.NodeName, process.Pid, string.Join(',', claim.CpuIds));
        var record = new SpawnRecord(process.Pid, process.StartTicks, probe.BootId, files.WorkDir, files.StdoutPath, files.StderrPath, process.Uid);
        // A job that ends within moments has its pid written with its outcome, in the finish's
        // transaction: one write fewer per short job. Until then the pid file the spawner wrote
        // before answering is what recovery goes by, as in crash window #2.
        // WaitAsync drops its timer when the job ends first: no timer fires for a short job.
        await ((Task)process.Exited).WaitAsync(RecordDelay).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!process.Exited.IsCompleted)
        {
            if (!await RecordSpawnAsync(job, run, record))
            {
                // The job was taken from us meanwhile (e.g. failed as NodeFail by a peer): it must not run.
                log.LogWarning("Job {JobId} is no longer ours; killing the job {Pid} we just started", job.Id, process.Pid);
                await EndAbandonedAsync(files, process.Pid, cgroup);
                return;
            }
            record = null;
            CrashPoints.Hit(CrashPoints.AfterRecord);
        }
        await SuperviseAsync(job, run, files, process.Pid, () => process.Exited, cgroup, record);
    }

    /// <summary>How long a spawned job may run before its pid is written on its own.</summary>
    internal static readonly TimeSpan RecordDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Re-checks the paths, prepares the files for the job's user, gives the job its cgroup and starts the job's shell in it.</summary>
    private async Task<(LaunchedProcess, JobCgroup?)> SpawnAsync(Job job, int attempt, JobFiles files, int[] cpuIds, int[] gpuIds, CancellationToken stopping)
    {
        if (files.PathViolation(_roots) is { } why) throw new InvalidOperationException($"Refused: {why}");
        var user = await runAs.ForAsync(job.Account, stopping);
        files.Prepare(user);
        var env = JobEnvironment.Build(job, Options.NodeName, cpuIds, files, user, devices.Of(gpuIds));
        var cgroup = cgroups.Acquire(files, attempt, job.MemoryMb, cpuIds, gpuIds);
        try
        {
            var process = await launcher.LaunchAsync(
                new LaunchRequest(files, cpuIds, env) { User = user, MaxOutputBytes = Options.MaxOutputBytes, Cgroups = cgroups.Placement(cgroup) }, stopping);
            return (process, cgroup);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // A spawner that died mid-request may have started it.
            var pid = files.ReadPidFile() is { } id && probe.IsSameProcess(id.Pid, id.StartTicks, id.BootId) ? id.Pid : 0;
            if (pid > 0 || cgroup is not null) await EndAbandonedAsync(files, pid, cgroup);
            throw;
        }
    }

    /// <summary>Kills a job that must not run (its spawn was reported failed, or it is no longer ours) and frees its cgroup.</summary>
    private async Task EndAbandonedAsync(JobFiles files, int pid, JobCgroup? cgroup)
    {
        var empty = await new JobEnding(pid, cgroup).EndAsync();
        if (cgroup is not null) cgroups.Release(files, cgroup, empty);
    }

    /// <summary>Watches a process this worker did not start (recovered after a restart), in the cgroup its control directory records.</summary>
    public Task WatchAdoptedAsync(Job job, RunningJob run, int pid, long startTicks, string bootId)
    {
        var files = new JobFiles(Options.DataDir, job);
        return SuperviseAsync(job, run, files, pid, () => WaitGoneAsync(pid, startTicks, bootId), cgroups.Held(files, run.Attempt));
    }

    private Task<bool> RecordSpawnAsync(Job job, RunningJob run, SpawnRecord record) =>
        retry.RunAsync($"record pid of job {job.Id}", ct => store.RecordSpawnAsync(job.Id, run.Attempt, record, ct));

    private async Task SuperviseAsync(Job job, RunningJob run, JobFiles files, int pid, Func<Task<int?>> waitExit, JobCgroup? cgroup, SpawnRecord? unrecorded = null)
    {
        var exited = waitExit();
        var ending = new JobEnding(pid, cgroup);
        var cause = await WaitForEndAsync(job, run, exited);
        if (cause != StopCause.None) await ending.StopAsync(exited, Grace(cause == StopCause.Shutdown));
        var childCode = await exited;
        // The job has ended only once nothing of it is left: what the script left running
        // (background, setsid'd or double-forked children) is killed before its cores are freed.
        var empty = await ending.EndAsync();
        if (!empty) log.LogWarning("Job {JobId} still has processes in its cgroup {Slot} after the kill; the slot is not reused", job.Id, cgroup?.Slot);
        CrashPoints.Hit(CrashPoints.BeforeFinish);
        var code = childCode ?? files.ReadExitStatus() ?? (cause == StopCause.None ? null : 137);
        CgroupUsage? usage = null;
        if (cgroup is not null)
        {
            if (cause == StopCause.None && cgroups.OomKilled(cgroup)) cause = StopCause.OutOfMemory;
            usage = cgroups.Usage(cgroup);
            cgroups.Release(files, cgroup, empty);
        }
        await FinishAsync(job, run, Outcome(cause, code, job), code, unrecorded, usage);
        CrashPoints.Hit(CrashPoints.AfterFinish);
    }

    /// <summary>The grace period between SIGTERM and SIGKILL, short when the worker itself is stopping.</summary>
    private TimeSpan Grace(bool shuttingDown) => TimeSpan.FromSeconds(shuttingDown ? Math.Min(Options.GraceSeconds, 2) : Options.GraceSeconds);

    private enum StopCause { None, Cancel, TimeLimit, Shutdown, OutOfMemory, Requeue }

    private static async Task<StopCause> WaitForEndAsync(Job job, RunningJob run, Task exited)
    {
        var limit = Timeout.InfiniteTimeSpan;
        if (job.TimeLimitSeconds is { } seconds)
        {
            var deadline = (job.StartTime ?? DateTime.UtcNow).AddSeconds(seconds);
            limit = deadline - DateTime.UtcNow;
            if (limit < TimeSpan.Zero) limit = TimeSpan.Zero;
        }
        // The time limit's timer goes when the job ends first, rather than firing for nothing later.
        using var ended = new CancellationTokenSource();
        var cancelled = Task.Delay(Timeout.Infinite, run.StopRequested);
        var timedOut = Task.Delay(limit, ended.Token);
        var first = await Task.WhenAny(exited, cancelled, timedOut);
        ended.Cancel();
        if (first == exited) return StopCause.None;
        if (first == timedOut) return StopCause.TimeLimit;
        return run.IsShutdownKill ? StopCause.Shutdown : run.IsRequeue ? StopCause.Requeue : StopCause.Cancel;
    }

    private static JobOutcome Outcome(StopCause cause, int? code, Job job) => cause switch
    {
        StopCause.Cancel => JobOutcomes.Cancelled,
        StopCause.Requeue => JobOutcomes.RequeuedOnRequest,
        StopCause.Shutdown => JobOutcomes.WorkerShutdown,
        StopCause.OutOfMemory => JobOutcomes.OutOfMemory(job.MemoryMb),
        StopCause.TimeLimit => JobOutcomes.TimeLimit(job.TimeLimitSeconds),
        _ when code is { } exit => JobOutcomes.Exited(exit),
        _ => JobOutcomes.NoExitStatus,
    };

    /// <summary>
    /// Writes the outcome (with the pid record, when the job ended before that was written) and
    /// claims for the freed cores in the same transaction; a failing store is retried until it
    /// answers, never dropped.
    /// </summary>
    private async Task FinishAsync(Job job, RunningJob run, JobOutcome outcome, int? code, SpawnRecord? unrecorded = null, CgroupUsage? usage = null)
    {
        // The finish turns a failure into a retry (back to PENDING) when the job asked for one;
        // a requeue goes back in line as a new attempt, whatever its retries.
        var requeue = outcome == JobOutcomes.RequeuedOnRequest;
        var finish = Transition.Ending(job.Id, JobState.Running, outcome) with {
            ExitCode = requeue ? null : code, Attempt = run.Attempt, Node = Options.NodeName,
            CpuSeconds = usage?.CpuSeconds, PeakMemoryBytes = usage?.PeakMemoryBytes,
            CpuUserSeconds = usage?.UserSeconds, CpuSystemSeconds = usage?.SystemSeconds,
            Requeue = requeue ? RequeueKind.Always : RequeueKind.None,
            EventMessage = requeue ? "Killed (its whole cgroup) and requeued on request." : null,
        };
        var moved = await retry.RunAsync($"finish job {job.Id}", ct => finisher.FinishAsync(finish, unrecorded, run, ct));
        if (moved is not { } state)
        {
            log.LogInformation("Job {JobId} was already moved by someone else; outcome {To} not written", job.Id, outcome.State.ToWire());
            return;
        }
        log.LogInformation("Job {JobId} {From} -> {To} ({Reason}) on {Node}, exit code {ExitCode}", job.Id, "RUNNING", state.ToWire(), outcome.Reason, Options.NodeName, code);
        if (state == JobState.Pending && outcome.State == JobState.Failed && job.RetryDelaySeconds > 0) _ = WakeWhenEligibleAsync(job.Id);
    }

    /// <summary>
    /// A retry waits out its delay; nothing else would wake a claim when it ends (a poll may be
    /// seconds away), so the worker that wrote the retry wakes its dispatcher then.
    /// </summary>
    private async Task WakeWhenEligibleAsync(long jobId)
    {
        try
        {
            if (await store.EligibleInAsync(jobId, CancellationToken.None) is { } wait) await Task.Delay(wait + TimeSpan.FromMilliseconds(20));
            wakeUps.Wake();
        }
        catch (Exception e) when (TransientFaults.IsTransient(e))
        {
            log.LogDebug("Job {JobId}'s retry time not read ({Error}); the next poll claims it", jobId, e.Message);
        }
    }

    private async Task<int?> WaitGoneAsync(int pid, long startTicks, string bootId)
    {
        while (probe.IsSameProcess(pid, startTicks, bootId))
            await Task.Delay(200);
        return null;
    }
}
