using System.Globalization;
using System.Text.Json.Nodes;
using Conductor.Cli.Api;
using Conductor.Cli.Output;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Commands;

/// <summary>
/// <c>squeue</c>: pending and running jobs (or the states asked for) in Slurm's layout,
/// <c>JOBID PARTITION NAME USER ST TIME NODES NODELIST(REASON)</c>, or in the <c>-o</c> format given.
/// </summary>
internal static class SqueueCommand
{
    public const string DefaultFormat = "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R";
    public const string LongFormat = "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R";
    private const string Letters = "iAFKjuaPtTMlLDRNrCmQpVSeZEb";

    internal sealed class Request
    {
        public List<string> Users { get; } = [];
        public List<string> Accounts { get; } = [];
        public List<string> Partitions { get; } = [];
        public List<string> Jobs { get; } = [];
        public List<string> Names { get; } = [];
        public string? States { get; set; }
        public string? Format { get; set; }
        public bool NoHeader { get; set; }
        public bool Json { get; set; }
        public bool Me { get; set; }
        public bool Long { get; set; }
        public bool Help { get; set; }
    }

    private static readonly IReadOnlyList<SlurmOption<Request>> Table =
    [
        new("user", 'u', ArgKind.Required, "users (accounts), comma separated", (r, v) => r.Users.AddRange(List(v))),
        new("account", 'A', ArgKind.Required, "accounts, comma separated", (r, v) => r.Accounts.AddRange(List(v))),
        new("partition", 'p', ArgKind.Required, "partitions, comma separated", (r, v) => r.Partitions.AddRange(List(v))),
        new("jobs", 'j', ArgKind.Required, "job ids, comma separated", (r, v) => r.Jobs.AddRange(List(v))),
        new("name", 'n', ArgKind.Required, "job names, comma separated", (r, v) => r.Names.AddRange(List(v))),
        new("states", 't', ArgKind.Required, "states: PD,R,CD,F,CA,TO or all", (r, v) => r.States = v),
        new("format", 'o', ArgKind.Required, "output format, e.g. \"%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R\"", (r, v) => r.Format = v),
        new("noheader", 'h', ArgKind.None, "no header line", (r, _) => r.NoHeader = true),
        new("long", 'l', ArgKind.None, "long format", (r, _) => r.Long = true),
        new("me", null, ArgKind.None, "your own jobs", (r, _) => r.Me = true),
        new("json", null, ArgKind.None, "JSON output", (r, _) => r.Json = true),
        new("all", 'a', ArgKind.None, "accepted (every partition is shown)", (_, _) => { }),
        new("array", 'r', ArgKind.None, "accepted (array elements are one line each)", (_, _) => { }),
        new("help", null, ArgKind.None, "this help", (r, _) => r.Help = true),
    ];

    public static IEnumerable<string> List(string? v) => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public static Task<int> RunAsync(IReadOnlyList<string> args, CliContext cx) =>
        cx.ReportingErrorsAsync("squeue", async () =>
        {
            var parsed = new SlurmArgs<Request>(Table, stopAtFirstPositional: false).Parse(args);
            var r = new Request();
            foreach (var o in parsed.Options) o.Option.Apply(r, o.Value);
            if (parsed.Positionals.Count > 0) throw new SlurmUsageException($"unrecognized argument '{parsed.Positionals[0]}'");
            if (r.Help)
            {
                await cx.Out.WriteAsync(string.Join('\n', Table.Select(o => $"  {o.Spelling,-22} {o.Help}")) + "\n");
                return 0;
            }
            var format = FormatSpec.Parse(r.Format ?? (r.Long ? LongFormat : DefaultFormat), Letters, "--format");
            using var client = cx.Client();
            var jobs = await SelectAsync(new JobSource(client), r, cx);
            if (format.Fields.Any(f => f.Letter is 'l' or 'L' or 'Z') && !r.Json) jobs = await new JobSource(client).DetailAsync(jobs, cx.Cancel);
            var now = cx.Clock.GetUtcNow();
            if (r.Json)
            {
                await cx.Out.WriteLineAsync(new JsonObject { ["jobs"] = new JsonArray([.. jobs.Select(j => (JsonNode)ToJson(j))]) }.ToJsonString(JsonOptions.Indented));
                return 0;
            }
            if (!r.NoHeader) await cx.Out.WriteLineAsync(format.Render(Header));
            foreach (var job in jobs) await cx.Out.WriteLineAsync(format.Render(c => Value(c, job, now)));
            return 0;
        });

    private static async Task<List<JobInfo>> SelectAsync(JobSource source, Request r, CliContext cx)
    {
        var states = JobColumns.ParseStates(r.States ?? (r.Jobs.Count > 0 ? "all" : "PD,R"));
        if (r.Me) r.Users.Add(cx.Config.Account ?? cx.Environment.GetValueOrDefault("USER") ?? Environment.UserName);
        List<JobInfo> jobs;
        if (r.Jobs.Count > 0)
            jobs = [.. (await Task.WhenAll(r.Jobs.Select(id => source.ResolveAsync(id, cx.Cancel)))).SelectMany(j => j)];
        else
        {
            // The API filters by one state and one account: ask once per API state, and filter the rest here.
            var apiStates = states is null ? [null] : states.Select(s => s is "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY" ? "FAILED" : s).Cast<string?>().ToList();
            var owners = r.Users.Concat(r.Accounts).Distinct().ToList();
            jobs = await source.ListAsync(apiStates, owners.Count == 1 ? owners[0] : null, r.Names.Count == 1 ? r.Names[0] : null, cx.Cancel);
        }
        return jobs.Where(j => states is null || states.Contains(JobColumns.State(j)))
            .Where(j => r.Users.Count + r.Accounts.Count == 0 || r.Users.Concat(r.Accounts).Contains(j.Account))
            .Where(j => r.Partitions.Count == 0 || r.Partitions.Contains(j.Partition))
            .Where(j => r.Names.Count == 0 || r.Names.Contains(j.Name)).ToList();
    }

    internal static string Header(char c) => c switch
    {
        'i' => "JOBID", 'A' => "JOBID", 'F' => "ARRAY_JOB_ID", 'K' => "ARRAY_TASK_ID", 'j' => "NAME", 'u' => "USER", 'a' => "ACCOUNT",
        'P' => "PARTITION", 't' => "ST", 'T' => "STATE", 'M' => "TIME", 'l' => "TIME_LIMIT", 'L' => "TIME_LEFT", 'D' => "NODES",
        'R' => "NODELIST(REASON)", 'N' => "NODELIST", 'r' => "REASON", 'C' => "CPUS", 'm' => "MIN_MEMORY", 'Q' => "PRIORITY",
        'p' => "PRIORITY", 'V' => "SUBMIT_TIME", 'S' => "START_TIME", 'e' => "END_TIME", 'Z' => "WORK_DIR", 'E' => "DEPENDENCY", 'b' => "TRES_PER_NODE", _ => "?",
    };

    internal static string Value(char c, JobInfo j, DateTimeOffset now) => c switch
    {
        'i' => j.SlurmId,
        'A' => j.JobId,
        'F' => j.ArrayJobId ?? j.JobId,
        'K' => j.ArrayTaskId ?? "N/A",
        'j' => j.Name,
        'u' or 'a' => j.Account,
        'P' => j.Partition,
        't' => JobColumns.CompactState(JobColumns.State(j)),
        'T' => JobColumns.State(j),
        'M' => SlurmTime.Format(JobColumns.Used(j, now)),
        'l' => JobColumns.Limit(j.TimeLimit),
        'L' => SlurmTime.ParseWire(j.TimeLimit) is { } limit ? SlurmTime.Format(limit - JobColumns.Used(j, now)) : "UNLIMITED",
        'D' => "1",
        'R' => JobColumns.NodeOrReason(j),
        'N' => j.Node ?? "",
        'r' => string.IsNullOrEmpty(j.Reason) ? "None" : j.Reason,
        'C' => j.Cpus.ToString(CultureInfo.InvariantCulture),
        'm' => "N/A",
        'Q' => (j.Priority ?? 0).ToString(CultureInfo.InvariantCulture),
        'p' => (j.Priority ?? 0).ToString(CultureInfo.InvariantCulture),
        'V' => JobColumns.Timestamp(j.SubmitTime),
        'S' => JobColumns.Timestamp(j.StartTime, "N/A"),
        'e' => JobColumns.Timestamp(j.EndTime, "N/A"),
        'Z' => j.WorkDir ?? "",
        'E' => "(null)",
        'b' => j.Gres is { } gres ? "gres/" + gres : "N/A",
        _ => "",
    };

    public static JsonObject ToJson(JobInfo j) => new()
    {
        ["job_id"] = j.JobId, ["array_job_id"] = j.ArrayJobId, ["array_task_id"] = j.ArrayTaskId, ["name"] = j.Name,
        ["user_name"] = j.Account, ["account"] = j.Account, ["partition"] = j.Partition, ["job_state"] = JobColumns.State(j),
        ["state_reason"] = j.Reason ?? "None", ["nodes"] = j.Node ?? "", ["cpus"] = j.Cpus, ["priority"] = j.Priority,
        ["submit_time"] = j.SubmitTime?.ToUnixTimeSeconds(), ["start_time"] = j.StartTime?.ToUnixTimeSeconds(),
        ["end_time"] = j.EndTime?.ToUnixTimeSeconds(), ["exit_code"] = j.SlurmExitCode(), ["time_limit"] = j.TimeLimit,
    };
}

/// <summary>Shared serializer settings for --json output.</summary>
internal static class JsonOptions
{
    public static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };
}
