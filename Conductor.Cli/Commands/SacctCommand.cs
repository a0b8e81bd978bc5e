using System.Globalization;
using System.Text.Json.Nodes;
using Conductor.Cli.Api;
using Conductor.Cli.Output;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Commands;

/// <summary>
/// <c>sacct</c>: accounting of jobs (by default those since midnight), in Slurm's layout with a
/// dashed rule under the header: <c>JobID JobName Partition Account AllocCPUS State ExitCode
/// Elapsed</c>, or the <c>--format</c> fields (<c>Name%30</c> sets a width).
/// </summary>
internal static class SacctCommand
{
    public const string DefaultFormat = "JobID,JobName,Partition,Account,AllocCPUS,State,ExitCode,Elapsed";

    private static readonly Dictionary<string, (string Header, int Width, Func<JobInfo, DateTimeOffset, string> Value)> Fields =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["JobID"] = ("JobID", 12, (j, _) => j.SlurmId),
            ["JobIDRaw"] = ("JobIDRaw", 12, (j, _) => j.JobId),
            ["JobName"] = ("JobName", 10, (j, _) => j.Name),
            ["Partition"] = ("Partition", 10, (j, _) => j.Partition),
            ["Account"] = ("Account", 10, (j, _) => j.Account),
            ["User"] = ("User", 9, (j, _) => j.Account),
            ["AllocCPUS"] = ("AllocCPUS", 10, (j, _) => j.Cpus.ToString(CultureInfo.InvariantCulture)),
            ["NCPUS"] = ("NCPUS", 10, (j, _) => j.Cpus.ToString(CultureInfo.InvariantCulture)),
            ["State"] = ("State", 10, (j, _) => JobColumns.State(j)),
            ["ExitCode"] = ("ExitCode", 8, (j, _) => j.SlurmExitCode()),
            ["Elapsed"] = ("Elapsed", 10, (j, now) => SlurmTime.Format(JobColumns.Used(j, now), alwaysHours: true)),
            ["ElapsedRaw"] = ("ElapsedRaw", 10, (j, now) => ((long)JobColumns.Used(j, now).TotalSeconds).ToString(CultureInfo.InvariantCulture)),
            ["Submit"] = ("Submit", 19, (j, _) => JobColumns.Timestamp(j.SubmitTime)),
            ["Start"] = ("Start", 19, (j, _) => JobColumns.Timestamp(j.StartTime)),
            ["End"] = ("End", 19, (j, _) => JobColumns.Timestamp(j.EndTime)),
            ["NodeList"] = ("NodeList", 15, (j, _) => j.Node ?? "None assigned"),
            ["NNodes"] = ("NNodes", 8, (_, _) => "1"),
            ["Reason"] = ("Reason", 10, (j, _) => string.IsNullOrEmpty(j.Reason) ? "None" : j.Reason),
            ["Priority"] = ("Priority", 10, (j, _) => (j.Priority ?? 0).ToString(CultureInfo.InvariantCulture)),
            ["Timelimit"] = ("Timelimit", 10, (j, _) => JobColumns.Limit(j.TimeLimit)),
            ["WorkDir"] = ("WorkDir", 20, (j, _) => j.WorkDir ?? ""),
            ["TotalCPU"] = ("TotalCPU", 10, (j, _) => j.CpuUserSeconds is null && j.CpuSystemSeconds is null ? "" : CpuTime((j.CpuUserSeconds ?? 0) + (j.CpuSystemSeconds ?? 0))),
            ["UserCPU"] = ("UserCPU", 10, (j, _) => j.CpuUserSeconds is { } u ? CpuTime(u) : ""),
            ["SystemCPU"] = ("SystemCPU", 10, (j, _) => j.CpuSystemSeconds is { } s ? CpuTime(s) : ""),
            ["CPUTime"] = ("CPUTime", 10, (j, now) => SlurmTime.Format(JobColumns.Used(j, now) * Math.Max(1, j.Cpus), alwaysHours: true)),
            ["MaxRSS"] = ("MaxRSS", 10, (j, _) => j.MaxRssBytes is { } b ? (b / 1024).ToString(CultureInfo.InvariantCulture) + "K" : ""),
        };

    /// <summary>Slurm's TotalCPU: [DD-[HH:]]MM:SS.mmm, with milliseconds under an hour.</summary>
    internal static string CpuTime(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return span.TotalHours >= 1
            ? SlurmTime.Format(TimeSpan.FromSeconds(Math.Round(span.TotalSeconds)), alwaysHours: true)
            : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes:00}:{span.Seconds:00}.{span.Milliseconds:000}");
    }

    internal sealed class Request
    {
        public string Format { get; set; } = DefaultFormat;
        public string? Start { get; set; }
        public string? End { get; set; }
        public string? States { get; set; }
        public List<string> Jobs { get; } = [];
        public List<string> Users { get; } = [];
        public List<string> Names { get; } = [];
        public string? Separator { get; set; }
        public bool TrailingSeparator { get; set; }
        public bool NoHeader { get; set; }
        public bool Json { get; set; }
        public bool AllUsers { get; set; }
    }

    private static readonly IReadOnlyList<SlurmOption<Request>> Table =
    [
        new("format", 'o', ArgKind.Required, "fields, e.g. JobID,JobName%30,State,ExitCode", (r, v) => r.Format = v!),
        new("starttime", 'S', ArgKind.Required, "jobs that ran after (default: midnight)", (r, v) => r.Start = v),
        new("endtime", 'E', ArgKind.Required, "jobs that ran before (default: now)", (r, v) => r.End = v),
        new("state", 's', ArgKind.Required, "states: CD,F,CA,TO,R,PD", (r, v) => r.States = v),
        new("jobs", 'j', ArgKind.Required, "job ids, comma separated", (r, v) => r.Jobs.AddRange(SqueueCommand.List(v))),
        new("user", 'u', ArgKind.Required, "users (accounts)", (r, v) => r.Users.AddRange(SqueueCommand.List(v))),
        new("accounts", 'A', ArgKind.Required, "accounts", (r, v) => r.Users.AddRange(SqueueCommand.List(v))),
        new("name", null, ArgKind.Required, "job names", (r, v) => r.Names.AddRange(SqueueCommand.List(v))),
        new("allusers", 'a', ArgKind.None, "every account the token may see", (r, _) => r.AllUsers = true),
        new("allocations", 'X', ArgKind.None, "jobs only (Conductor has no steps)", (_, _) => { }),
        new("parsable", 'p', ArgKind.None, "'|' between fields and at the end", (r, _) => (r.Separator, r.TrailingSeparator) = ("|", true)),
        new("parsable2", 'P', ArgKind.None, "'|' between fields", (r, _) => (r.Separator, r.TrailingSeparator) = ("|", false)),
        new("delimiter", null, ArgKind.Required, "separator for --parsable", (r, v) => r.Separator = v),
        new("noheader", 'n', ArgKind.None, "no header", (r, _) => r.NoHeader = true),
        new("json", null, ArgKind.None, "JSON output", (r, _) => r.Json = true),
        new("brief", 'b', ArgKind.None, "JobID,State,ExitCode", (r, _) => r.Format = "JobID,State,ExitCode"),
        new("long", 'l', ArgKind.None, "more fields",
            (r, _) => r.Format = "JobID,JobName,Partition,Account,AllocCPUS,State,ExitCode,Elapsed,Submit,Start,End,NodeList,Timelimit"),
    ];

    public static Task<int> RunAsync(IReadOnlyList<string> args, CliContext cx) =>
        cx.ReportingErrorsAsync("sacct", async () =>
        {
            var parsed = new SlurmArgs<Request>(Table, stopAtFirstPositional: false).Parse(args);
            var r = new Request();
            foreach (var o in parsed.Options) o.Option.Apply(r, o.Value);
            if (parsed.Positionals.Count > 0) throw new SlurmUsageException($"unrecognized argument '{parsed.Positionals[0]}'");
            var columns = Columns(r.Format);
            var now = cx.Clock.GetUtcNow();
            using var client = cx.Client();
            var jobs = await SelectAsync(new JobSource(client), r, now, cx);
            if (columns.Any(c => c.Key is "Timelimit" or "WorkDir" or "TotalCPU" or "UserCPU" or "SystemCPU" or "MaxRSS")) jobs = await new JobSource(client).DetailAsync(jobs, cx.Cancel);
            if (r.Json)
            {
                await cx.Out.WriteLineAsync(new JsonObject { ["jobs"] = new JsonArray([.. jobs.Select(j => (JsonNode)SqueueCommand.ToJson(j))]) }.ToJsonString(JsonOptions.Indented));
                return 0;
            }
            foreach (var line in Render(columns, jobs, r, now)) await cx.Out.WriteLineAsync(line);
            return 0;
        });

    internal sealed record Column(string Key, string Header, int Width, Func<JobInfo, DateTimeOffset, string> Value);

    internal static List<Column> Columns(string format) => format.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(item =>
    {
        var pct = item.IndexOf('%');
        var name = pct >= 0 ? item[..pct] : item;
        if (!Fields.TryGetValue(name, out var f)) throw new SlurmUsageException($"Invalid field requested: \"{name}\"; known: {string.Join(',', Fields.Keys)}");
        var width = pct >= 0 && int.TryParse(item[(pct + 1)..], CultureInfo.InvariantCulture, out var w) ? w : f.Width;
        return new Column(Fields.Keys.First(k => k.Equals(name, StringComparison.OrdinalIgnoreCase)), f.Header, width, f.Value);
    }).ToList();

    internal static IEnumerable<string> Render(List<Column> columns, List<JobInfo> jobs, Request r, DateTimeOffset now)
    {
        if (r.Separator is { } sep)
        {
            var end = r.TrailingSeparator ? sep : "";
            if (!r.NoHeader) yield return string.Join(sep, columns.Select(c => c.Header)) + end;
            foreach (var j in jobs) yield return string.Join(sep, columns.Select(c => c.Value(j, now))) + end;
            yield break;
        }
        // sacct's layout: JobID left-aligned, the rest right-aligned, each cut to its width, a space after every field.
        string Cell(Column c, string v) => FormatSpec.Fit(v, c.Width, right: c.Key is not ("JobID" or "JobIDRaw")) + " ";
        if (!r.NoHeader)
        {
            yield return string.Concat(columns.Select(c => Cell(c, c.Header)));
            yield return string.Concat(columns.Select(c => new string('-', c.Width) + " "));
        }
        foreach (var j in jobs) yield return string.Concat(columns.Select(c => Cell(c, c.Value(j, now))));
    }

    private static async Task<List<JobInfo>> SelectAsync(JobSource source, Request r, DateTimeOffset now, CliContext cx)
    {
        if (r.Jobs.Count > 0)
            return [.. (await Task.WhenAll(r.Jobs.Select(id => source.ResolveAsync(id, cx.Cancel)))).SelectMany(j => j)];
        var states = JobColumns.ParseStates(r.States);
        var start = r.Start is null ? new DateTimeOffset(now.ToLocalTime().Date, now.ToLocalTime().Offset) : SlurmBeginTime.Parse(r.Start, now);
        var end = r.End is null ? now : SlurmBeginTime.Parse(r.End, now);
        var apiStates = states is null ? [null] : states.Select(s => s is "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY" ? "FAILED" : s).Cast<string?>().ToList();
        var jobs = await source.ListAsync(apiStates, r.Users.Count == 1 ? r.Users[0] : null, r.Names.Count == 1 ? r.Names[0] : null, cx.Cancel);
        return jobs.Where(j => states is null || states.Contains(JobColumns.State(j)))
            .Where(j => r.Users.Count == 0 || r.Users.Contains(j.Account))
            .Where(j => r.Names.Count == 0 || r.Names.Contains(j.Name))
            .Where(j => (j.SubmitTime ?? now) <= end && (j.EndTime ?? now) >= start).ToList();
    }
}
