using System.Globalization;
using System.Text.Json;

namespace Conductor.Cli.Api;

/// <summary>
/// A job as the CLI shows it, read tolerantly from either a <c>GET /jobs/query/{id}</c> answer
/// (fields at the top, under <c>time</c> and under <c>detail</c>) or a <c>GET /jobs</c> item (flat):
/// a field the API does not send (yet) is simply null.
/// </summary>
internal sealed record JobInfo(
    string JobId, string State, string? Reason, string Name, string Account, string Partition, int Cpus, string? Node,
    DateTimeOffset? SubmitTime, DateTimeOffset? StartTime, DateTimeOffset? EndTime, string? ExitCode, int? ExitStatus,
    string? TimeLimit, int? Priority, string? WorkDir, string? ArrayJobId, string? ArrayTaskId, string? ErrorMsg,
    double? CpuUserSeconds = null, double? CpuSystemSeconds = null, long? MaxRssBytes = null, string? Gres = null)
{
    public static readonly string[] TerminalStates = ["COMPLETED", "FAILED", "CANCELLED"];

    public bool IsTerminal => TerminalStates.Contains(State);

    /// <summary>Slurm's job id: <c>A_a</c> for an array element when the API names its array, else the job's own id.</summary>
    public string SlurmId => ArrayJobId is { } a && ArrayTaskId is { } t ? $"{a}_{t}" : JobId;

    public static JobInfo From(JsonElement e)
    {
        var time = e.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.Object ? t : default;
        var detail = e.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        string? S(string name) => Str(e, name) ?? Str(detail, name) ?? Str(time, name);
        var id = S("job_id") ?? "?";
        return new JobInfo(
            id, (S("state") ?? "UNKNOWN").ToUpperInvariant(), S("reason"), S("job_name") ?? S("name") ?? $"job-{id}",
            S("account") ?? S("user") ?? "", S("partition") ?? "", Int(e, "cpus") ?? Int(detail, "allocated_cpus") ?? 0,
            NonEmpty(S("node") ?? S("node_list")), Time(e, time, "submit_time"), Time(e, time, "start_time"), Time(e, time, "end_time"),
            NonEmpty(S("exit_code")), Int(e, "exit_status") ?? Int(detail, "exit_status"), S("limit_time") ?? S("time_limit"),
            Int(e, "priority"), S("work_dir"), S("array_job_id"), S("array_task_id"), S("error_msg"),
            Double(e, "cpu_user_seconds"), Double(e, "cpu_system_seconds"), Long(e, "max_rss_bytes"), S("gres"));
    }

    /// <summary>
    /// The exit code a shell would report: exit_status when the API sends it; else from Slurm's
    /// <c>code:signal</c> (signal n is 128+n); null while the job has none.
    /// </summary>
    public int? ShellExitCode()
    {
        if (ExitStatus is { } status) return status;
        if (ExitCode is null) return null;
        var parts = ExitCode.Split(':');
        if (!int.TryParse(parts[0], CultureInfo.InvariantCulture, out var code)) return null;
        var signal = parts.Length > 1 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var s) ? s : 0;
        return signal > 0 && code < 128 ? 128 + signal : code;
    }

    /// <summary>sacct's ExitCode column, <c>code:signal</c>, whichever convention the API follows.</summary>
    public string SlurmExitCode()
    {
        if (ExitCode is { } wire && wire.Contains(':'))
        {
            var parts = wire.Split(':');
            // Older APIs sent "137:9" (bash's number first); Slurm shows "0:9".
            if (int.TryParse(parts[0], CultureInfo.InvariantCulture, out var c) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var sig) && sig > 0 && c >= 128)
                return $"0:{sig}";
            return wire;
        }
        return ShellExitCode() is { } code ? code > 128 && code < 160 ? $"0:{code - 128}" : $"{code}:0" : "0:0";
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static string? Str(JsonElement o, string name)
    {
        if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        };
    }

    private static int? Int(JsonElement o, string name)
    {
        if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)) return n;
        return v.ValueKind == JsonValueKind.String && int.TryParse(v.GetString(), CultureInfo.InvariantCulture, out var m) ? m : null;
    }

    private static double? Double(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static long? Long(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    /// <summary>ISO 8601 (UTC when it has no offset) or Unix seconds, wherever the API puts it.</summary>
    private static DateTimeOffset? Time(JsonElement top, JsonElement time, string name)
    {
        foreach (var o in new[] { top, time })
        {
            if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty(name, out var v)) continue;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var unix)) return unix > 0 ? DateTimeOffset.FromUnixTimeSeconds(unix) : null;
            if (v.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal, out var at))
                return at;
        }
        return null;
    }
}
