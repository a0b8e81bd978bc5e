namespace Conductor.Core.Jobs;

/// <summary>
/// A submitted batch job. The row is the single source of truth for its state; workers
/// change it only through <see cref="Storage.JobStore"/> compare-and-set writes.
/// </summary>
public sealed class Job
{
    public long Id { get; set; }
    public string? Name { get; set; }
    public string Account { get; set; } = "";
    public string Partition { get; set; } = "default";
    public int NtasksPerNode { get; set; } = 1;
    public int CpusPerTask { get; set; } = 1;
    public int Cpus { get; set; } = 1;
    public long MemoryMb { get; set; } = 1024;

    /// <summary>GPUs the job asks for (gpus, or gres gpu:N); 0 = none.</summary>
    public int Gpus { get; set; }

    /// <summary>The GPU model asked for (gres gpu:a100:1); null = any model.</summary>
    public string? GpuModel { get; set; }
    public int? TimeLimitSeconds { get; set; }
    public Dictionary<string, string> Environment { get; set; } = [];
    public string? WorkDir { get; set; }
    public string? StandardOutput { get; set; }
    public string? StandardError { get; set; }
    public bool Exclusive { get; set; }
    public int Priority { get; set; } = 5;
    public string Script { get; set; } = "";
    public string? IdempotencyKey { get; set; }

    /// <summary>SCNS-Conductor's data_source: API, CLI or WEB (<see cref="DataSources"/>).</summary>
    public string DataSource { get; set; } = DataSources.Api;

    /// <summary>The dependency as submitted (Slurm syntax); the edges live in job_dependencies.</summary>
    public string? Dependency { get; set; }
    public DateTime? BeginTime { get; set; }

    /// <summary>How many times a failed attempt is run again; 0 = a failure is final.</summary>
    public int MaxRetries { get; set; }
    public int RetryDelaySeconds { get; set; }
    public string RetryBackoff { get; set; } = RetryBackoffs.Fixed;

    /// <summary>For a task of a job array: the array's id (its first task), the task id, the %N limit.</summary>
    public long? ArrayJobId { get; set; }
    public int? ArrayTaskId { get; set; }
    public int? ArrayMaxRunning { get; set; }

    /// <summary>For a job a cron schedule created: the schedule and the fire time it stands for.</summary>
    public long? ScheduleId { get; set; }
    public DateTime? ScheduleFireTime { get; set; }

    /// <summary>Held while PENDING: "user" (its owner may release it) or "admin" (only an admin may); null = in line.</summary>
    public string? Hold { get; set; }

    /// <summary>Requeue automatically when an attempt ends NodeFail or Orphaned (sbatch --requeue); off by default, as SCNS never retries.</summary>
    public bool Requeue { get; set; }

    /// <summary>Someone asked to requeue this RUNNING job: its worker kills it and puts it back in line as a new attempt.</summary>
    public bool RequeueRequested { get; set; }

    public JobState State { get; set; } = JobState.Pending;
    public string Reason { get; set; } = JobReason.Priority;
    public string? ErrorMsg { get; set; }
    public DateTime SubmitTime { get; set; }
    public DateTime EligibleTime { get; set; }
    public DateTime? StartTime { get; set; }
    public DateTime? EndTime { get; set; }

    /// <summary>1 for the first run; a requeue after a never-spawned claim keeps it.</summary>
    public int Attempt { get; set; }
    public bool CancelRequested { get; set; }

    // Where and how it runs, recorded by the worker.
    public string? Node { get; set; }
    public int? Pid { get; set; }
    public long? ProcessStartTicks { get; set; }
    public string? BootId { get; set; }
    public string? StdoutPath { get; set; }
    public string? StderrPath { get; set; }
    public int? ExitCode { get; set; }

    /// <summary>The uid the job's process ran as; its output files must belong to it to be served.</summary>
    public int? RunUid { get; set; }

    // What the job's cgroup measured when it ended (Slurm's TotalCPU and MaxRSS).
    public double? CpuSeconds { get; set; }
    public long? PeakMemoryBytes { get; set; }
    public double? CpuUserSeconds { get; set; }
    public double? CpuSystemSeconds { get; set; }

    /// <summary>The node's worker's last verdict on <see cref="Pid"/> (start time and boot id included), and when.</summary>
    public bool? PidAlive { get; set; }
    public DateTime? PidCheckedAt { get; set; }
}
