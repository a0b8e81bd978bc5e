using System.Collections.Concurrent;
using Conductor.Worker.Messaging;

namespace Conductor.Worker.Supervision;

/// <summary>The jobs this worker process currently watches, and the cores they hold.</summary>
public sealed class RunningJobs(WakeUps wakeUps, ILogger<RunningJobs> log)
{
    private readonly ConcurrentDictionary<long, (RunningJob Run, Task Task)> _jobs = new();
    private readonly ConcurrentDictionary<long, RunningJob> _pending = new();

    /// <summary>Cores held by jobs being started or running; a job whose end is written holds none.</summary>
    public int HeldCores => _jobs.Values.Where(j => !j.Run.Finished).Sum(j => j.Run.Cores) + _pending.Values.Sum(r => r.Cores);

    public int Count => _jobs.Count;

    public RunningJob Add(long jobId, int attempt, int cores)
    {
        var run = new RunningJob(jobId, attempt, cores);
        _pending[jobId] = run;
        return run;
    }

    /// <summary>
    /// Watches the supervising task; when it ends the cores are free again, and the dispatcher is
    /// woken to claim for them unless the job's finish already did (one thread hand-off and one
    /// dispatch cycle fewer per job).
    /// </summary>
    public Task Track(RunningJob run, Task supervision)
    {
        _jobs[run.JobId] = (run, supervision);
        _pending.TryRemove(run.JobId, out _);
        return supervision.ContinueWith(t =>
        {
            if (t.Exception is { } e) log.LogError(e, "Supervision of job {JobId} failed", run.JobId);
            _jobs.TryRemove(run.JobId, out _);
            if (!run.CoresReoffered) wakeUps.Wake();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public RunningJob? Find(long jobId) => _jobs.TryGetValue(jobId, out var j) ? j.Run : null;

    public IReadOnlyList<Task> KillAll()
    {
        foreach (var (run, _) in _jobs.Values) run.RequestShutdownKill();
        return _jobs.Values.Select(j => j.Task).ToList();
    }
}
