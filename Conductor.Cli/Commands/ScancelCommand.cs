using Conductor.Cli.Api;
using Conductor.Cli.Output;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Commands;

/// <summary>
/// <c>scancel</c>: cancels the jobs named by id (<c>42</c>, an array's <c>42</c> cancels all its
/// elements when the API names arrays, <c>42_3</c> one element) and/or matching the filters
/// (<c>--name</c>, <c>--state</c>, <c>--user</c>, <c>--account</c>, <c>--partition</c>, <c>--me</c>).
/// Silent on success, as scancel is; a job that is already finished is no error.
/// </summary>
internal static class ScancelCommand
{
    internal sealed class Request
    {
        public List<string> Names { get; } = [];
        public List<string> Users { get; } = [];
        public List<string> Partitions { get; } = [];
        public string? State { get; set; }
        public bool Me { get; set; }
        public bool Verbose { get; set; }
        public bool Quiet { get; set; }
    }

    private static readonly IReadOnlyList<SlurmOption<Request>> Table =
    [
        new("name", 'n', ArgKind.Required, "jobs of this name", (r, v) => r.Names.AddRange(SqueueCommand.List(v))),
        new("jobname", null, ArgKind.Required, "jobs of this name", (r, v) => r.Names.AddRange(SqueueCommand.List(v))),
        new("state", 't', ArgKind.Required, "jobs in this state (PENDING, RUNNING)", (r, v) => r.State = v),
        new("user", 'u', ArgKind.Required, "jobs of this user (account)", (r, v) => r.Users.AddRange(SqueueCommand.List(v))),
        new("account", 'A', ArgKind.Required, "jobs of this account", (r, v) => r.Users.AddRange(SqueueCommand.List(v))),
        new("partition", 'p', ArgKind.Required, "jobs in this partition", (r, v) => r.Partitions.AddRange(SqueueCommand.List(v))),
        new("me", null, ArgKind.None, "your own jobs", (r, _) => r.Me = true),
        new("verbose", 'v', ArgKind.None, "say what is cancelled", (r, _) => r.Verbose = true),
        new("quiet", 'Q', ArgKind.None, "no error for unknown jobs", (r, _) => r.Quiet = true),
        new("batch", 'b', ArgKind.None, "accepted (the batch shell is the job)", (_, _) => { }),
        new("full", 'f', ArgKind.None, "accepted", (_, _) => { }),
        new("signal", 's', ArgKind.Required, "sending a signal: not supported yet",
            (_, _) => throw new SlurmUsageException("--signal is not supported yet: scancel ends jobs (SIGTERM, then SIGKILL)"), OptionSupport.Refused),
        new("interactive", 'i', ArgKind.None, "confirming each job: not supported yet",
            (_, _) => throw new SlurmUsageException("--interactive is not supported yet"), OptionSupport.Refused),
    ];

    public static Task<int> RunAsync(IReadOnlyList<string> args, CliContext cx) =>
        cx.ReportingErrorsAsync("scancel", async () =>
        {
            var parsed = new SlurmArgs<Request>(Table, stopAtFirstPositional: false).Parse(args);
            var r = new Request();
            foreach (var o in parsed.Options) o.Option.Apply(r, o.Value);
            if (r.Me) r.Users.Add(cx.Config.Account ?? cx.Environment.GetValueOrDefault("USER") ?? Environment.UserName);
            var filtered = r.Names.Count + r.Users.Count + r.Partitions.Count > 0 || r.State is not null;
            if (parsed.Positionals.Count == 0 && !filtered) throw new SlurmUsageException("No job identification provided");
            using var client = cx.Client();
            var source = new JobSource(client);
            var (targets, failed) = await TargetsAsync(source, parsed.Positionals, r, cx);
            foreach (var job in targets)
            {
                var answer = await client.PostAsync($"jobs/cancel/{Uri.EscapeDataString(job.JobId)}", null, cx.Cancel);
                if (r.Verbose) await cx.Error.WriteLineAsync($"scancel: {answer.GetProperty("msg").GetString()}");
            }
            return failed && !r.Quiet ? 1 : 0;
        });

    private static async Task<(List<JobInfo>, bool Failed)> TargetsAsync(JobSource source, IReadOnlyList<string> ids, Request r, CliContext cx)
    {
        var states = JobColumns.ParseStates(r.State ?? "PD,R") ?? ["PENDING", "RUNNING"];
        var failed = false;
        var candidates = new List<JobInfo>();
        foreach (var id in ids.SelectMany(SqueueCommand.List))
        {
            var found = await source.ResolveAsync(id, cx.Cancel);
            if (found.Count == 0)
            {
                if (!r.Quiet) await cx.Error.WriteLineAsync($"scancel: error: Kill job error on job id {id}: Invalid job id specified");
                failed = true;
            }
            candidates.AddRange(found);
            // An array's own id stands for all its elements.
            if (!id.Contains('_') && found is [{ ArrayJobId: { } a }] && a == id)
                candidates.AddRange((await source.ListAsync([null], null, null, cx.Cancel)).Where(j => j.ArrayJobId == id));
        }
        if (ids.Count == 0)
            candidates = await source.ListAsync(states.Select(s => (string?)s), r.Users.Count == 1 ? r.Users[0] : null, r.Names.Count == 1 ? r.Names[0] : null, cx.Cancel);
        var targets = candidates.DistinctBy(j => j.JobId)
            .Where(j => ids.Count > 0 && r.State is null || states.Contains(j.State))
            .Where(j => r.Users.Count == 0 || r.Users.Contains(j.Account))
            .Where(j => r.Names.Count == 0 || r.Names.Contains(j.Name))
            .Where(j => r.Partitions.Count == 0 || r.Partitions.Contains(j.Partition)).ToList();
        return (targets, failed);
    }
}
