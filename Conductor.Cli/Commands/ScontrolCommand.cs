using System.Globalization;
using System.Text;
using Conductor.Cli.Api;
using Conductor.Cli.Output;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Commands;

/// <summary>
/// <c>scontrol show job [ID]</c> and <c>scontrol show node [NAME]</c> in Slurm's key=value layout;
/// <c>hold</c>, <c>uhold</c>, <c>release</c>, <c>requeue</c> and <c>update</c> of jobs (<see cref="ScontrolActions"/>).
/// </summary>
internal static class ScontrolCommand
{
    public static Task<int> RunAsync(IReadOnlyList<string> args, CliContext cx) =>
        cx.ReportingErrorsAsync("scontrol", async () =>
        {
            var words = args.Where(a => a is not ("-o" or "--oneliner" or "-d" or "--details")).ToList();
            var oneLine = args.Contains("-o") || args.Contains("--oneliner");
            if (words.Count > 0 && ScontrolActions.Verbs.Contains(words[0])) return await ScontrolActions.RunAsync(words, cx);
            if (words.Count < 2 || words[0] != "show")
                throw new SlurmUsageException("supported: 'scontrol show job [ID]', 'scontrol show node [NAME]', " +
                                              "'scontrol hold|uhold|release|requeue JOBID', 'scontrol update JobId=ID Key=Value...'");
            using var client = cx.Client();
            var entity = words[1].ToLowerInvariant().TrimEnd('s');
            var records = entity switch
            {
                "job" => await JobsAsync(new JobSource(client), words.ElementAtOrDefault(2), cx),
                "node" => (await NodeInfo.ListAsync(client, cx.Cancel)).Where(n => words.Count < 3 || n.Name == words[2]).Select(Node).ToList(),
                _ => throw new SlurmUsageException($"invalid entity: {words[1]} (job or node)"),
            };
            if (records.Count == 0 && words.Count > 2)
                throw new SlurmUsageException(entity == "job" ? "Invalid job id specified" : $"Node {words[2]} not found");
            foreach (var record in records)
                await cx.Out.WriteLineAsync(oneLine ? string.Join(' ', record.SelectMany(l => l)) : string.Join('\n', record.Select(l => (l == record[0] ? "" : "   ") + string.Join(' ', l))) + "\n");
            return 0;
        });

    private static async Task<List<List<string[]>>> JobsAsync(JobSource source, string? id, CliContext cx)
    {
        var jobs = id is not null ? await source.ResolveAsync(id, cx.Cancel) : await source.DetailAsync(await source.ListAsync(["PENDING", "RUNNING"], null, null, cx.Cancel), cx.Cancel);
        var now = cx.Clock.GetUtcNow();
        return jobs.Select(j => Job(j, now)).ToList();
    }

    private static List<string[]> Job(JobInfo j, DateTimeOffset now) =>
    [
        [$"JobId={j.JobId}", $"JobName={j.Name}"],
        .. j.ArrayJobId is { } a ? new List<string[]> { new[] { $"ArrayJobId={a}", $"ArrayTaskId={j.ArrayTaskId}" } } : [],
        [$"UserId={j.Account}", $"Account={j.Account}"],
        [$"Priority={(j.Reason == "Held" ? 0 : j.Priority ?? 0)}"],
        [$"JobState={JobColumns.State(j)}", $"Reason={(string.IsNullOrEmpty(j.Reason) ? "None" : j.Reason)}", $"Dependency=(null)"],
        [$"ExitCode={j.SlurmExitCode()}"],
        [$"RunTime={SlurmTime.Format(JobColumns.Used(j, now), alwaysHours: true)}", $"TimeLimit={JobColumns.Limit(j.TimeLimit)}"],
        [$"SubmitTime={JobColumns.Timestamp(j.SubmitTime)}"],
        [$"StartTime={JobColumns.Timestamp(j.StartTime)}", $"EndTime={JobColumns.Timestamp(j.EndTime)}"],
        [$"Partition={j.Partition}"],
        [$"NodeList={j.Node ?? "(null)"}"],
        [$"NumNodes=1", $"NumCPUs={j.Cpus.ToString(CultureInfo.InvariantCulture)}"],
        [$"WorkDir={j.WorkDir ?? "(null)"}"],
        .. j.ErrorMsg is { Length: > 0 } m ? new List<string[]> { new[] { $"Comment={m}" } } : [],
    ];

    private static List<string[]> Node(NodeInfo n) =>
    [
        [$"NodeName={n.Name}"],
        [$"CPUAlloc={n.UsedCpus}", $"CPUTot={n.Cpus}"],
        [$"RealMemory={n.MemoryMb}"],
        [$"State={n.SlurmState.ToUpperInvariant()}"],
        [$"Partitions={n.Partition}"],
    ];
}
