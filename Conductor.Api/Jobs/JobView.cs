using System.ComponentModel;
using System.Globalization;
using Conductor.Core.Jobs;

namespace Conductor.Api.Jobs;

/// <summary>
/// The SCNS-Conductor query shape (every field of SCNS's JobQueryResponse, with its type), plus
/// Conductor's reason, priority, pid, cpu_ids, attempt and detail.exit_status.
/// </summary>
internal sealed record JobView(
    [property: Description("The job's id, a string of digits as SCNS answers it.")] string JobId,
    [property: Description("PENDING, RUNNING, COMPLETED, FAILED or CANCELLED.")] string State,
    [property: Description("Conductor: why it waits or how it ended, in Slurm's words (Priority, Resources, Dependency, BeginTime, TimeLimit, NonZeroExitCode...).")] string Reason,
    [property: Description("Why it failed, for people; null otherwise.")] string? ErrorMsg,
    JobView.Times Time, JobView.Logs JobLog, JobView.Details Detail,
    [property: Description("Conductor: higher runs first.")] int Priority,
    [property: Description("Conductor: the job's process id (its process group) on its node, once started.")] int? Pid,
    [property: Description("Conductor: the cores it is pinned to.")] int[] CpuIds,
    [property: Description("Conductor: 1 for the first run, more after retries and requeues.")] int Attempt,
    [property: Description("Conductor: \"user\" or \"admin\" while held (reason Held), else null.")] string? Hold = null,
    [property: Description("Conductor: requeued automatically after NodeFail or Orphaned (sbatch --requeue).")] bool Requeue = false,
    [property: Description("Conductor: CPU time in user mode, seconds, from the job's cgroup; null until it ends.")] double? CpuUserSeconds = null,
    [property: Description("Conductor: CPU time in kernel mode, seconds; null until it ends.")] double? CpuSystemSeconds = null,
    [property: Description("Conductor: peak memory of the job's cgroup in bytes (Slurm's MaxRSS); null until it ends.")] long? MaxRssBytes = null,
    [property: Description("Conductor: CPU time / (elapsed x cores), 0-1, as seff reports it; null until it ends.")] double? CpuEfficiency = null,
    [property: Description("Conductor: peak memory / memory reserved, 0-1, as seff reports it; null until it ends.")] double? MemoryEfficiency = null,
    [property: Description("Conductor: the GPUs asked for, as a gres string (gpu:2, gpu:a100:1); null for none.")] string? Gres = null,
    [property: Description("Conductor: the node's GPU ids it holds or held (what CUDA_VISIBLE_DEVICES names); empty before it starts or without GPUs.")] int[]? GpuIds = null)
{
    /// <param name="LimitTime">SCNS's format: H:MM:SS, D-HH:MM:SS from a day on, UNLIMITED.</param>
    [Description("Times are ISO 8601 in UTC, with a Z.")]
    internal sealed record Times(DateTime SubmitTime, DateTime? StartTime, DateTime? EndTime,
        [property: Description("When it may start: its begin_time, or its submit time.")] DateTime EligibleTime,
        [property: Description("Run time so far or in all, D-HH:MM:SS.")] string ElapsedTime,
        [property: Description("Its time limit as SCNS formats it: H:MM:SS, D-HH:MM:SS from a day on, or UNLIMITED.")] string LimitTime);

    /// <param name="Withheld">Why an output is empty although the job may have written some (a link, a file not the job user's); null otherwise.</param>
    [Description("Each output whole below 1 MiB, else its last 1,000 lines under a line saying so.")]
    internal sealed record Logs(string Stdout, string Stderr,
        [property: Description("Conductor: why an output is not shown although the job may have written some (a link, a file not the job user's).")] string? Withheld = null);

    /// <param name="ExitCode">Slurm's <c>code:signal</c> ("2:0" exit 2, "0:9" killed by signal 9); "" until the job ends.</param>
    /// <param name="ExitStatus">The same as bash reports it ($?: 2, 137); null until the job ends.</param>
    internal sealed record Details(string JobName,
        [property: Description("The account, as SCNS sends it here.")] string User, string Partition,
        [property: Description("Cores held (or requested, before it starts).")] int AllocatedCpus,
        [property: Description("Always 1: a job runs on one node.")] int AllocatedNodes,
        [property: Description("The node it runs or ran on; \"\" before it starts.")] string NodeList,
        [property: Description("Slurm's code:signal: \"2:0\" exit 2, \"0:9\" killed by signal 9; \"\" until it ends.")] string ExitCode,
        [property: Description("Conductor: the exit status as bash reports it (2, 137 for SIGKILL); null until it ends.")] int? ExitStatus,
        [property: Description("Its working directory (before it starts: the directory it will get).")] string WorkDir,
        [property: Description("Where it was submitted from: API, CLI or WEB (header X-Conductor-Client).")] string DataSource,
        string Account);

    /// <param name="latestCpuIds">The cores of the job's latest allocation, if it ever held one.</param>
    /// <param name="dataDir">The workers' data dir: a job without a working directory of its own works in &lt;data&gt;/jobs/&lt;id&gt;.</param>
    public static JobView From(Job job, int[]? latestCpuIds, Logs logs, DateTime now, string dataDir, int[]? latestGpuIds = null)
    {
        var elapsed = job.StartTime is { } start ? (job.EndTime ?? now) - start : TimeSpan.Zero;
        var cpuIds = job.State == JobState.Running || job.State.IsTerminal() ? latestCpuIds ?? [] : [];
        return new JobView(
            Id(job.Id), job.State.ToWire(), job.Reason, job.ErrorMsg,
            new Times(job.SubmitTime, job.StartTime, job.EndTime, job.EligibleTime, SlurmTime.FormatElapsed(elapsed), ScnsTime.FormatLimit(job.TimeLimitSeconds)),
            logs,
            new Details(job.Name ?? $"job-{Id(job.Id)}", job.Account, job.Partition, cpuIds.Length > 0 ? cpuIds.Length : job.Cpus,
                1, job.Node ?? "", ExitCode(job.ExitCode), job.ExitCode, WorkDir(job, dataDir), job.DataSource, job.Account),
            job.Priority, job.Pid, cpuIds, job.Attempt, job.Hold, job.Requeue,
            Ended(job, job.CpuUserSeconds), Ended(job, job.CpuSystemSeconds), job.State.IsTerminal() ? job.PeakMemoryBytes : null,
            CpuUse(job, elapsed, cpuIds.Length > 0 ? cpuIds.Length : job.Cpus), MemoryUse(job),
            new GresRequest(job.Gpus, job.GpuModel).ToGres(), cpuIds.Length > 0 ? latestGpuIds ?? [] : []);
    }

    private static double? Ended(Job job, double? value) => job.State.IsTerminal() && value is { } v ? Math.Round(v, 3) : null;

    /// <summary>seff's CPU efficiency: CPU time over what the cores could have given in the elapsed time.</summary>
    internal static double? CpuUse(Job job, TimeSpan elapsed, int cores) =>
        job.State.IsTerminal() && job.CpuSeconds is { } cpu && elapsed.TotalSeconds > 0 && cores > 0
            ? Math.Round(Math.Min(1, cpu / (elapsed.TotalSeconds * cores)), 4) : null;

    /// <summary>seff's memory efficiency: the peak over the memory reserved.</summary>
    internal static double? MemoryUse(Job job) =>
        job.State.IsTerminal() && job.PeakMemoryBytes is { } peak && job.MemoryMb > 0
            ? Math.Round(Math.Min(1, peak / (job.MemoryMb * 1048576.0)), 4) : null;

    public static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Slurm's <c>code:signal</c> from bash's exit status: 128+n (n a signal, 1-31) is "0:n", as
    /// sacct shows a job killed by signal n; anything else is "code:0". A script that itself ends
    /// with <c>exit 137</c> reads as killed by SIGKILL: bash's number cannot tell them apart.
    /// </summary>
    public static string ExitCode(int? status) => status switch
    {
        null => "",
        > 128 and < 160 => string.Create(CultureInfo.InvariantCulture, $"0:{status - 128}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{status}:0"),
    };

    /// <summary>Always a string, as in SCNS: before the worker records it, the directory the job will get.</summary>
    private static string WorkDir(Job job, string dataDir) =>
        job.WorkDir ?? Path.Combine(Path.GetFullPath(dataDir), Core.Files.DataLayout.JobsName, Id(job.Id));
}
