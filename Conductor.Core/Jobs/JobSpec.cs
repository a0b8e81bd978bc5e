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

    /// <summary>The GPUs asked for (count and model); <see cref="GresRequest.None"/> = none.</summary>
    public GresRequest Gres { get; init; } = GresRequest.None;

    /// <summary>The submit field the GPU request came in ("gpus" or "gres"), for errors that name it.</summary>
    public string GresField { get; init; } = "gpus";
    public int? TimeLimitSeconds { get; init; }
    public Dictionary<string, string> Environment { get; init; } = [];
    public string? WorkDir { get; init; }
    public string? StandardOutput { get; init; }
    public string? StandardError { get; init; }
    public bool Exclusive { get; init; }
    public int Priority { get; init; } = 5;
    public required string Script { get; init; }
    public string? IdempotencyKey { get; init; }
    public string DataSource { get; init; } = DataSources.Api;
    public string? Dependency { get; init; }
    public IReadOnlyList<(string Kind, long JobId)> Dependencies { get; init; } = [];
    public DateTime? BeginTime { get; init; }
    public int MaxRetries { get; init; }
    public int RetryDelaySeconds { get; init; }
    public string RetryBackoff { get; init; } = RetryBackoffs.Fixed;
    public JobArray? Array { get; init; }
    public int? ArrayTaskId { get; init; }
    public long? ScheduleId { get; init; }
    public DateTime? ScheduleFireTime { get; init; }

    /// <summary>Submitted held ("user" or "admin", <see cref="HoldKinds"/>); null = in line at once.</summary>
    public string? Hold { get; init; }

    /// <summary>Requeue after NodeFail or Orphaned (sbatch --requeue).</summary>
    public bool Requeue { get; init; }

    /// <summary>One spec per task of the array (or just this one): each task is its own job.</summary>
    public IReadOnlyList<JobSpec> Expand() =>
        Array is null ? [this] : Array.TaskIds.Select((task, i) => this with
        {
            ArrayTaskId = task,
            Array = Array,
            IdempotencyKey = i == 0 ? IdempotencyKey : null, // the key names the array through its first task
        }).ToList();

    /// <summary>
    /// The spec a finished job was submitted with, for an explicit resubmit: a person asks for it
    /// to run now, so its dependencies and begin time (long since decided) are not copied; its
    /// retry policy is.
    /// </summary>
    public static JobSpec CopyOf(Job job) => new()
    {
        Name = job.Name,
        Account = job.Account,
        Partition = job.Partition,
        NtasksPerNode = job.NtasksPerNode,
        CpusPerTask = job.CpusPerTask,
        MemoryMb = job.MemoryMb,
        Gres = new GresRequest(job.Gpus, job.GpuModel),
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
        MaxRetries = job.MaxRetries,
        RetryDelaySeconds = job.RetryDelaySeconds,
        RetryBackoff = job.RetryBackoff,
        Requeue = job.Requeue,
        ArrayTaskId = job.ArrayTaskId, // the script may branch on its task id; the copy stands alone
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
        Gpus = Gres.Count,
        GpuModel = Gres.Model,
        TimeLimitSeconds = TimeLimitSeconds,
        Environment = Environment,
        WorkDir = WorkDir,
        StandardOutput = StandardOutput,
        StandardError = StandardError,
        Exclusive = Exclusive,
        Priority = Priority,
        Script = Script,
        IdempotencyKey = IdempotencyKey,
        DataSource = DataSource,
        Dependency = Dependency,
        BeginTime = BeginTime,
        MaxRetries = MaxRetries,
        RetryDelaySeconds = RetryDelaySeconds,
        RetryBackoff = RetryBackoff,
        ArrayTaskId = ArrayTaskId,
        ArrayMaxRunning = Array?.MaxRunning,
        ScheduleId = ScheduleId,
        ScheduleFireTime = ScheduleFireTime,
        Hold = Hold,
        Requeue = Requeue,
        State = JobState.Pending,
        Reason = Hold is not null ? JobReason.Held : Dependencies.Count > 0 ? JobReason.Dependency : BeginTime > now ? JobReason.BeginTime : JobReason.Priority,
        SubmitTime = now,
        EligibleTime = BeginTime > now ? BeginTime.Value : now,
    };
}

/// <summary>Slurm's two holds: a user's (its owner releases it) and an admin's (only an admin does).</summary>
public static class HoldKinds
{
    public const string User = "user";
    public const string Admin = "admin";
}

/// <summary>How the pause before a retry grows: the same each time, or doubling with ±25 % jitter.</summary>
public static class RetryBackoffs
{
    public const string Fixed = "fixed";
    public const string Exponential = "exponential";
}
