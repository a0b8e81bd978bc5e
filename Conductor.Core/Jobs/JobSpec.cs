namespace Conductor.Core.Jobs;

/// <summary>A validated submission, ready to be stored as a PENDING job.</summary>
public sealed record JobSpec
{
    public string? Name { get; init; }
    public string Account { get; init; } = "default";
    public string Partition { get; init; } = "default";
    public int NtasksPerNode { get; init; } = 1;
    public int CpusPerTask { get; init; } = 1;
    public int Cpus => NtasksPerNode * CpusPerTask;
    public long MemoryMb { get; init; } = 1024;
    public int? TimeLimitSeconds { get; init; }
    public Dictionary<string, string> Environment { get; init; } = [];
    public string? WorkDir { get; init; }
    public string? StandardOutput { get; init; }
    public string? StandardError { get; init; }
    public bool Exclusive { get; init; }
    public int Priority { get; init; } = 5;
    public required string Script { get; init; }
    public string? IdempotencyKey { get; init; }

    /// <summary>The spec a finished job was submitted with, for an explicit resubmit (no idempotency key).</summary>
    public static JobSpec CopyOf(Job job) => new()
    {
        Name = job.Name,
        Account = job.Account,
        Partition = job.Partition,
        NtasksPerNode = job.NtasksPerNode,
        CpusPerTask = job.CpusPerTask,
        MemoryMb = job.MemoryMb,
        TimeLimitSeconds = job.TimeLimitSeconds,
        Environment = new Dictionary<string, string>(job.Environment),
        // The worker records the defaulted directory (<data>/jobs/<id>) as work_dir; the copy
        // must get its own directory, not write into the old job's.
        WorkDir = job.WorkDir is { } dir && dir.EndsWith($"/jobs/{job.Id}", StringComparison.Ordinal) ? null : job.WorkDir,
        StandardOutput = job.StandardOutput,
        StandardError = job.StandardError,
        Exclusive = job.Exclusive,
        Priority = job.Priority,
        Script = job.Script,
    };

    public Job ToJob(DateTime now) => new()
    {
        Name = Name,
        Account = Account,
        Partition = Partition,
        NtasksPerNode = NtasksPerNode,
        CpusPerTask = CpusPerTask,
        Cpus = Cpus,
        MemoryMb = MemoryMb,
        TimeLimitSeconds = TimeLimitSeconds,
        Environment = Environment,
        WorkDir = WorkDir,
        StandardOutput = StandardOutput,
        StandardError = StandardError,
        Exclusive = Exclusive,
        Priority = Priority,
        Script = Script,
        IdempotencyKey = IdempotencyKey,
        State = JobState.Pending,
        Reason = JobReason.Priority,
        SubmitTime = now,
        EligibleTime = now,
    };
}
