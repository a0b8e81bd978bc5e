using System.Globalization;
using Conductor.Core.Jobs;

namespace Conductor.Api.Jobs;

/// <summary>The SCNS-Conductor query shape, plus Conductor's priority, pid, cpu_ids and attempt.</summary>
internal sealed record JobView(
    string JobId, string State, string Reason, string? ErrorMsg, JobView.Times Time, JobView.Logs JobLog,
    JobView.Details Detail, int Priority, int? Pid, int[] CpuIds, int Attempt)
{
    internal sealed record Times(DateTime SubmitTime, DateTime? StartTime, DateTime? EndTime, DateTime EligibleTime,
        string ElapsedTime, string LimitTime);

    /// <param name="Withheld">Why an output is empty although the job may have written some (a link, a file not the job user's); null otherwise.</param>
    internal sealed record Logs(string Stdout, string Stderr, string? Withheld = null);

    internal sealed record Details(string JobName, string User, string Partition, int AllocatedCpus, int AllocatedNodes,
        string NodeList, string ExitCode, string? WorkDir, string DataSource, string Account);

    /// <param name="latestCpuIds">The cores of the job's latest allocation, if it ever held one.</param>
    public static JobView From(Job job, int[]? latestCpuIds, Logs logs, DateTime now)
    {
        var elapsed = job.StartTime is { } start ? (job.EndTime ?? now) - start : TimeSpan.Zero;
        var cpuIds = job.State == JobState.Running || job.State.IsTerminal() ? latestCpuIds ?? [] : [];
        return new JobView(
            Id(job.Id), job.State.ToWire(), job.Reason, job.ErrorMsg,
            new Times(job.SubmitTime, job.StartTime, job.EndTime, job.EligibleTime, SlurmTime.FormatElapsed(elapsed), Limit(job.TimeLimitSeconds)),
            logs,
            new Details(job.Name ?? $"job-{Id(job.Id)}", job.Account, job.Partition, cpuIds.Length > 0 ? cpuIds.Length : job.Cpus,
                job.Node is null ? 0 : 1, job.Node ?? "", ExitCode(job.ExitCode), job.WorkDir, "conductor", job.Account),
            job.Priority, job.Pid, cpuIds, job.Attempt);
    }

    public static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Slurm's <c>code:signal</c>: the exit status as bash reports it and, for 128+n, the signal n.</summary>
    public static string ExitCode(int? code) => code switch
    {
        null => "",
        > 128 and < 160 => $"{code}:{code - 128}",
        _ => $"{code}:0",
    };

    private static string Limit(int? seconds) => seconds is { } s ? SlurmTime.FormatElapsed(TimeSpan.FromSeconds(s)) : "UNLIMITED";
}
