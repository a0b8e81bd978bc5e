using System.Globalization;
using Conductor.Cli.Api;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Output;

/// <summary>How Slurm names and shows a job's state and times; shared by squeue, sacct and scontrol.</summary>
internal static class JobColumns
{
    /// <summary>
    /// Slurm's state name: the API's five, except that a job failed by its time limit is TIMEOUT and
    /// one lost with its node is NODE_FAIL, as Slurm reports them.
    /// </summary>
    public static string State(JobInfo j) => (j.State, j.Reason) switch
    {
        ("FAILED", "TimeLimit") => "TIMEOUT",
        ("FAILED", "NodeFail") => "NODE_FAIL",
        ("FAILED", "OutOfMemory") => "OUT_OF_MEMORY",
        _ => j.State,
    };

    public static string CompactState(string state) => state switch
    {
        "PENDING" => "PD",
        "RUNNING" => "R",
        "COMPLETED" => "CD",
        "FAILED" => "F",
        "CANCELLED" => "CA",
        "TIMEOUT" => "TO",
        "NODE_FAIL" => "NF",
        "OUT_OF_MEMORY" => "OOM",
        "COMPLETING" => "CG",
        _ => state.Length > 2 ? state[..2] : state,
    };

    /// <summary>A -t/--states list (PD,R or PENDING,RUNNING, or ALL) as Slurm state names.</summary>
    public static HashSet<string>? ParseStates(string? list)
    {
        if (list is null) return null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var upper = item.ToUpperInvariant();
            if (upper == "ALL") return null;
            var full = new[] { "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY" }
                .FirstOrDefault(s => s == upper || CompactState(s) == upper);
            names.Add(full ?? throw new SlurmUsageException($"Invalid job state specified: {item}"));
        }
        return names;
    }

    public static TimeSpan Used(JobInfo j, DateTimeOffset now) =>
        j.StartTime is { } start ? (j.EndTime ?? now) - start : TimeSpan.Zero;

    /// <summary>A time limit as squeue shows it (30:00, 1:00:00, 1-00:00:00, UNLIMITED).</summary>
    public static string Limit(string? wire) =>
        wire is null ? "N/A" : SlurmTime.ParseWire(wire) is { } span ? SlurmTime.Format(span) : wire.ToUpperInvariant() is "UNLIMITED" or "INFINITE" ? "UNLIMITED" : wire;

    /// <summary>Slurm's local timestamp, 2026-12-01T02:00:00, or Unknown/N/A.</summary>
    public static string Timestamp(DateTimeOffset? at, string none = "Unknown") =>
        at is { } t ? t.ToLocalTime().ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture) : none;

    /// <summary>squeue's NODELIST(REASON): the node while running, (Reason) while pending.</summary>
    public static string NodeOrReason(JobInfo j) => j.State == "PENDING" ? $"({(string.IsNullOrEmpty(j.Reason) ? "None" : j.Reason)})" : j.Node ?? "";
}
