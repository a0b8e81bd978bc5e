using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Sbatch;

/// <summary>What the submit body is built from besides the options: the submitter's side of things.</summary>
internal sealed record SubmitContext(
    string Script, string ScriptName, string WorkingDirectory, string User, IReadOnlyDictionary<string, string> Environment, DateTimeOffset Now);

/// <summary>
/// Maps an sbatch request onto the SCNS submit body (<c>{"job": {...}, "script": ...}</c>) with
/// sbatch's defaults: the job is named after its script, runs in the directory sbatch was called
/// from, and writes stdout and stderr together to <c>slurm-%j.out</c> (<c>slurm-%A_%a.out</c> for an
/// array) there. The API expands %j %x %A %a and %%; the rest of sbatch's patterns are expanded here.
/// </summary>
internal static class SubmitBody
{
    public static JsonObject Build(SbatchRequest r, SubmitContext c)
    {
        var ntasks = Tasks(r);
        var cpusPerTask = r.CpusPerTask ?? 1;
        var job = new JsonObject
        {
            ["name"] = r.Name ?? (r.Wrap is not null ? "wrap" : c.ScriptName),
            ["ntasks_per_node"] = ntasks,
            ["cpus_per_task"] = cpusPerTask,
            ["environment"] = ToJson(ExportSpec.Resolve(r.Export, c.Environment)),
            ["current_working_directory"] = Path.GetFullPath(r.Chdir ?? ".", c.WorkingDirectory),
        };
        if (r.Account is not null) job["account"] = r.Account;
        if (r.Partition is not null) job["partition"] = r.Partition;
        if (r.MemMb is { } mem) job["memory_per_node"] = $"{mem}M";
        else if (r.MemPerCpuMb is { } perCpu) job["memory_per_node"] = $"{perCpu * ntasks * cpusPerTask}M";
        if (r.TimeSet) job["time_limit"] = SlurmTime.ToWire(r.TimeSeconds);
        var output = r.Output ?? (r.Array is null ? "slurm-%j.out" : "slurm-%A_%a.out");
        job["standard_output"] = Expand(output, c.User, "--output");
        job["standard_error"] = Expand(r.Error ?? output, c.User, "--error");
        if (r.Exclusive) job["exclusive"] = true;
        if (r.Hold) job["hold"] = true;
        if (r.Requeue) job["requeue"] = true;
        if (r.Gres is not null) job["gres"] = r.Gres;
        if (r.Gpus is not null) job["gpus"] = r.Gpus;
        if ((r.Priority ?? PriorityFromNice(r.Nice)) is { } priority) job["priority"] = priority;
        if (r.Dependency is { Length: > 0 } dependency) job["dependency"] = dependency;
        if (r.Begin is not null) job["begin_time"] = SlurmBeginTime.Parse(r.Begin, c.Now).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        if (r.Array is not null) job["array"] = r.Array;
        return new JsonObject { ["job"] = job, ["script"] = c.Script };
    }

    /// <summary>All tasks run on the one node: -n is the node's task count, and must fit --ntasks-per-node when both are given.</summary>
    private static int Tasks(SbatchRequest r)
    {
        if (r is { Ntasks: { } n, NtasksPerNode: { } perNode } && n > perNode)
            throw new SlurmUsageException($"--ntasks={n} with --ntasks-per-node={perNode} needs more than one node, which is not supported yet");
        return r.Ntasks ?? r.NtasksPerNode ?? 1;
    }

    /// <summary>
    /// Slurm's nice value lowers a job's priority by that much; Conductor's priority is a small
    /// number (5 normal, higher first), so --nice=N becomes 5 - N, within 0..1000.
    /// </summary>
    private static int? PriorityFromNice(int? nice) => nice is { } n ? (int)Math.Clamp(5L - n, 0, 1000) : null;

    /// <summary>
    /// sbatch's file patterns that the API leaves alone: %u (user), %n and %t (0: the batch step's
    /// node and task), %s ("batch"). %N, the node, is not known before the job starts. A name
    /// with a backslash is taken literally, as in Slurm.
    /// </summary>
    public static string Expand(string pattern, string user, string option)
    {
        if (pattern.Contains('\\')) return pattern.Replace("\\", "", StringComparison.Ordinal).Replace("%", "%%", StringComparison.Ordinal);
        var s = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] != '%' || i + 1 >= pattern.Length)
            {
                s.Append(pattern[i]);
                continue;
            }
            var spec = pattern[++i];
            s.Append(spec switch
            {
                'u' => user,
                'n' or 't' => "0",
                's' => "batch",
                'j' or 'x' or 'A' or 'a' or '%' => "%" + spec,
                'N' => throw new SlurmUsageException($"{option}: %N (the node name) is not supported yet: the node is chosen after submission"),
                _ => throw new SlurmUsageException($"{option}: '%{spec}' is not supported; use %j %x %A %a %u %n %t %s or %%"),
            });
        }
        return s.ToString();
    }

    private static JsonObject ToJson(Dictionary<string, string> env)
    {
        var o = new JsonObject();
        foreach (var (k, v) in env.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = v;
        return o;
    }
}
