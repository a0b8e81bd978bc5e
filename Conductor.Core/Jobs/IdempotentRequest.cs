namespace Conductor.Core.Jobs;

/// <summary>
/// Whether a stored job is what a request with the same Idempotency-Key asked for: a retry of the
/// same request gets the same job, a different request under a reused key is a conflict (409),
/// never the first job silently. Compares what the submitter chose, not what Conductor decided
/// (ids, times, the account's default directory).
/// </summary>
public static class IdempotentRequest
{
    public static bool Matches(JobSpec spec, Job job) =>
        spec.Script == job.Script && spec.Name == job.Name && spec.Account == job.Account && spec.Partition == job.Partition
        && spec.NtasksPerNode == job.NtasksPerNode && spec.CpusPerTask == job.CpusPerTask && spec.MemoryMb == job.MemoryMb
        && spec.TimeLimitSeconds == job.TimeLimitSeconds && SameEnvironment(spec.Environment, job.Environment)
        && (spec.WorkDir is null || spec.WorkDir == job.WorkDir)
        && spec.StandardOutput == job.StandardOutput && spec.StandardError == job.StandardError && spec.Exclusive == job.Exclusive
        && spec.Priority == job.Priority && spec.Dependency == job.Dependency && SameMoment(spec.BeginTime, job.BeginTime)
        && spec.MaxRetries == job.MaxRetries && spec.RetryDelaySeconds == job.RetryDelaySeconds && spec.RetryBackoff == job.RetryBackoff
        && spec.Requeue == job.Requeue
        && spec.ArrayTaskId == job.ArrayTaskId && spec.Array?.MaxRunning == job.ArrayMaxRunning;

    private static bool SameEnvironment(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>PostgreSQL keeps microseconds; the request may have carried ticks.</summary>
    private static bool SameMoment(DateTime? a, DateTime? b) =>
        a is null ? b is null : b is not null && Math.Abs((a.Value - b.Value).Ticks) < TimeSpan.TicksPerMillisecond;
}
