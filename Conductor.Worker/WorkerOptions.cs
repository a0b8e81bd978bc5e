namespace Conductor.Worker;

public enum ShutdownBehaviour
{
    /// <summary>Leave jobs running; the next start of this node re-adopts them.</summary>
    Leave,

    /// <summary>Kill every job's process tree and record FAILED <c>WorkerShutdown</c>.</summary>
    Kill,
}

/// <summary>Which Unix user an account's jobs run as (on a root worker).</summary>
public enum JobUsers
{
    /// <summary>Each account its own user, created on first use from <see cref="WorkerOptions.UidRange"/>.</summary>
    PerAccount,

    /// <summary>Every account as <see cref="WorkerOptions.RunAs"/>: accounts are not kept apart.</summary>
    Shared,
}

/// <summary>Settings of one worker (section <c>Conductor:Worker</c>).</summary>
public sealed class WorkerOptions
{
    /// <summary>Stable node name; survives restarts so recovery finds the node's jobs.</summary>
    public string? Name { get; set; }
    public int? Cpus { get; set; }
    public long? MemoryMb { get; set; }
    public string Partition { get; set; } = "default";

    /// <summary>
    /// The GPUs this node offers, instead of detecting them: a count ("2"), "none", or a list of
    /// ID[:MODEL[:VENDOR[:PATH]]] ("0:a100,1:a100"); unset = detected (nvidia-smi, /dev/nvidia*,
    /// /dev/dri/renderD* with rocm-smi). See <see cref="Node.DeviceDetection"/>.
    /// </summary>
    public string? Gpus { get; set; }
    public string DataDir { get; set; } = "./data";
    public double PollIntervalSeconds { get; set; } = 1;

    /// <summary>Safety-net poll while Redis wake-ups are flowing.</summary>
    public double RedisPollIntervalSeconds { get; set; } = 5;
    public double HeartbeatSeconds { get; set; } = 5;
    public double LeaseSeconds { get; set; } = 30;
    public double GraceSeconds { get; set; } = 10;
    public int ClaimBatch { get; set; } = 32;
    public ShutdownBehaviour OnShutdown { get; set; } = ShutdownBehaviour.Leave;

    /// <summary>
    /// Which Unix user an account's jobs run as when the worker is root (jobs never run as root):
    /// one of its own per account (the default), or <see cref="RunAs"/> for everyone.
    /// </summary>
    public JobUsers Users { get; set; } = JobUsers.PerAccount;

    /// <summary>
    /// The uids handed out to accounts in <see cref="JobUsers.PerAccount"/> mode, "first-last"; the
    /// same on every node (the allocation is stored in PostgreSQL, the local users are made to match).
    /// </summary>
    public string UidRange { get; set; } = Core.Accounts.UidRange.Default;

    /// <summary>The one Unix user of every job in <see cref="JobUsers.Shared"/> mode.</summary>
    public string RunAs { get; set; } = "conductor-job";

    /// <summary>Account → existing Unix user, whatever the mode; wins over both.</summary>
    public Dictionary<string, string> AccountUsers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Where working directories and output files may be; default the data dir and /tmp.</summary>
    public string[]? AllowedRoots { get; set; }

    /// <summary>
    /// Enforce each job's memory with its memory cgroup (the default). Off, memory is still
    /// reserved by the scheduler but a job may use more (like Slurm without ConstrainRAMSpace);
    /// the job's cgroup then has no memory controller (its cores, pids and kill still hold).
    /// </summary>
    public bool EnforceMemory { get; set; } = true;

    /// <summary>Most processes (and threads) a job may have at once (its cgroup's pids.max); 0 = unlimited.</summary>
    public long PidsLimit { get; set; } = 4096;

    /// <summary>Bytes a job may write to any one file (ulimit -f); beyond it the job fails OutputLimit. 0 = unlimited.</summary>
    public long MaxOutputBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    public string[] EffectiveAllowedRoots => AllowedRoots is { Length: > 0 } roots ? roots : [DataDir, "/tmp"];

    public string NodeName => string.IsNullOrWhiteSpace(Name) ? HostName.Value : Name;

    // Environment.MachineName asks the kernel (uname) on every call; the node's name is read on every job.
    private static readonly Lazy<string> HostName = new(() => Environment.MachineName);
}
