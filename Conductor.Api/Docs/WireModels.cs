using System.ComponentModel;

namespace Conductor.Api.Docs;

// The request bodies as the OpenAPI document shows them. The endpoints read bodies themselves
// (SubmitParser: every error named, nothing silently ignored), so these types only describe them.

[Description("A submit body, as SCNS-Conductor's JobSubmitRequest: the job's fields in 'job', the script beside it. " +
             "Unknown or misplaced fields are a 400 naming them.")]
internal sealed record SubmitRequest(
    [property: Description("The job's fields; every one is optional.")] JobFields Job,
    [property: Description("The batch script, run by bash unless its #! line names another interpreter. Required, not blank, at most 1 MiB.")]
    string Script);

internal sealed record JobFields
{
    [Description("The job's name (%x in output patterns, $SLURM_JOB_NAME). Default: job-<id>.")]
    public string? Name { get; init; }

    [Description("The account the job is charged to: 1 to 128 letters or digits of any script, '.', '_', '@', '-'. Default: the caller's; " +
                 "only admins submit for other accounts. Jobs run as a Unix user mapped from it (cj-...), never as the name itself.")]
    public string? Account { get; init; }

    [Description("The partition whose nodes may run it."), DefaultValue("default")]
    public string? Partition { get; init; }

    [Description("Tasks on the node; cores = ntasks_per_node x cpus_per_task (at most 4096)."), DefaultValue(1)]
    public int? NtasksPerNode { get; init; }

    [Description("Cores per task."), DefaultValue(1)]
    public int? CpusPerTask { get; init; }

    [Description("Memory reserved on the node: 512M, 16G, 1T (K, M, G, T; no unit = M)."), DefaultValue("1G")]
    public string? MemoryPerNode { get; init; }

    [Description("Run-time limit, read as SCNS-Conductor reads it: \"30\" = 30 minutes, \"2:30\" = 2 h 30 min, \"1:30:00\" = H:MM:SS, " +
                 "\"2-12\", \"2-12:30\", \"2-12:30:00\" = D-HH[:MM[:SS]]; UNLIMITED, INFINITE or 0 for none (the default). A number counts minutes.")]
    public string? TimeLimit { get; init; }

    [Description("Variables for the job. Refused, with the reason: CONDUCTOR_*, the SLURM_* names Conductor sets, __CJ_*. " +
                 "Loader and shell start-up variables (LD_LIBRARY_PATH, LD_PRELOAD, BASH_ENV...) take effect when the script starts.")]
    public Dictionary<string, string>? Environment { get; init; }

    [Description("Absolute working directory under an allowed root (Conductor:Api:AllowedRoots). Default: the job's own directory <data>/jobs/<id>.")]
    public string? CurrentWorkingDirectory { get; init; }

    [Description("stdout file, relative to the working directory; %j = job id, %x = name, %% = %. Default: stdout.log in the job's directory.")]
    public string? StandardOutput { get; init; }

    [Description("stderr file, as standard_output. Default: stderr.log in the job's directory.")]
    public string? StandardError { get; init; }

    [Description("Take the whole node."), DefaultValue(false)]
    public bool? Exclusive { get; init; }

    [Description("Conductor: higher runs first (0-1000); LOW=1, NORMAL=5, HIGH=10, CRITICAL=20."), DefaultValue(5)]
    public int? Priority { get; init; }

    [Description("Conductor: Slurm syntax, afterok:12:13, afternotok:7, afterany:9, joined with ',' (all must hold).")]
    public string? Dependency { get; init; }

    [Description("Conductor: not before this ISO 8601 time (no offset = UTC), between 1970 and 2100.")]
    public string? BeginTime { get; init; }

    [Description("Conductor: how many times a failed run is retried (0-100)."), DefaultValue(0)]
    public int? MaxRetries { get; init; }

    [Description("Conductor: pause before a retry: seconds, 30s, 5m, 2h, or MM:SS / HH:MM:SS; at most a day."), DefaultValue("0")]
    public string? RetryDelay { get; init; }

    [Description("Conductor: fixed, or exponential (doubling, ±25 % jitter)."), DefaultValue("fixed")]
    public string? RetryBackoff { get; init; }

    [Description("Conductor: a job array in Slurm's syntax, 0-99, 1,3,5, 0-99:2, with %N to run at most N at once (POST /jobs/submit only).")]
    public string? Array { get; init; }

    [Description("Conductor: submit held (sbatch -H): it stays PENDING with reason Held until POST /jobs/{id}/release."), DefaultValue(false)]
    public bool? Hold { get; init; }

    [Description("Conductor: requeue it automatically, as a new attempt, when its run ends NodeFail or Orphaned (sbatch --requeue). " +
                 "Off by default: SCNS-Conductor never retries."), DefaultValue(false)]
    public bool? Requeue { get; init; }

    [Description("Conductor: GPUs on the node, reserved like cores: a count (2, or \"2\") or MODEL:COUNT as sbatch --gpus (\"a100:2\"). " +
                 "The job sees only its devices (CUDA_VISIBLE_DEVICES, SLURM_JOB_GPUS, GPU_DEVICE_ORDINAL, ROCR_VISIBLE_DEVICES). " +
                 "More than any node of the partition offers is a 400. Not together with gres."), DefaultValue("0")]
    public string? Gpus { get; init; }

    [Description("Conductor: Slurm's generic resource string for GPUs: gpu, gpu:2, gpu:a100:1 (a model takes only devices of that model, " +
                 "a100 also a100-sxm4-40gb). Only the gpu resource is known. Not together with gpus.")]
    public string? Gres { get; init; }
}

[Description("A cron schedule: every fire submits job_template once, even with several API instances.")]
internal sealed record ScheduleRequest(
    [property: Description("A name for people. Default: schedule-<random>.")] string? Name,
    [property: Description("5 fields, or 6 with seconds first (\"*/30 * * * * *\"). Required on create; a cron that never fires is a 400.")] string? Cron,
    [property: Description("IANA time zone the cron is read in."), DefaultValue("UTC")] string? TimeZone,
    [property: Description("1 enabled, 0 disabled, 2 paused."), DefaultValue(1)] int? Status,
    [property: Description("allow: fire while the previous job still runs; skip: do not."), DefaultValue("allow")] string? Overlap,
    [property: Description("After downtime: fire_once for the missed fires, or skip them."), DefaultValue("fire_once")] string? Misfire,
    [property: Description("The submit body each fire submits (not a job array). Required on create.")] SubmitRequest? JobTemplate);
