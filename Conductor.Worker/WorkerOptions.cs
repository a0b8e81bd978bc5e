namespace Conductor.Worker;

public enum ShutdownBehaviour
{
    /// <summary>Leave jobs running; the next start of this node re-adopts them.</summary>
    Leave,

    /// <summary>Kill every job's process tree and record FAILED <c>WorkerShutdown</c>.</summary>
    Kill,
}

/// <summary>Settings of one worker (section <c>Conductor:Worker</c>).</summary>
public sealed class WorkerOptions
{
    /// <summary>Stable node name; survives restarts so recovery finds the node's jobs.</summary>
    public string? Name { get; set; }
    public int? Cpus { get; set; }
    public long? MemoryMb { get; set; }
    public string Partition { get; set; } = "default";
    public string DataDir { get; set; } = "./data";
    public double PollIntervalSeconds { get; set; } = 1;

    /// <summary>Safety-net poll while Redis wake-ups are flowing.</summary>
    public double RedisPollIntervalSeconds { get; set; } = 5;
    public double HeartbeatSeconds { get; set; } = 5;
    public double LeaseSeconds { get; set; } = 30;
    public double GraceSeconds { get; set; } = 10;
    public int ClaimBatch { get; set; } = 32;
    public ShutdownBehaviour OnShutdown { get; set; } = ShutdownBehaviour.Leave;

    /// <summary>The Unix user jobs run as when the worker runs as root (jobs never run as root).</summary>
    public string RunAs { get; set; } = "conductor-job";

    /// <summary>Account → Unix user; accounts not listed run as <see cref="RunAs"/>.</summary>
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

    public string NodeName => string.IsNullOrWhiteSpace(Name) ? Environment.MachineName : Name;
}
