using System.Globalization;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Sbatch;

/// <summary>
/// sbatch's option table: the options Conductor honours, those it refuses (an error naming the
/// option: it would change how the job runs and Conductor cannot do that yet), and those it
/// accepts with a warning because they do not change what the job computes (mail, comments).
/// </summary>
internal static class SbatchOptions
{
    private const string NotYet = "is not supported yet";

    public static readonly IReadOnlyList<SlurmOption<SbatchRequest>> Table =
    [
        new("job-name", 'J', ArgKind.Required, "name of the job", (r, v) => r.Name = v),
        new("account", 'A', ArgKind.Required, "account to charge (default: the token's)", (r, v) => r.Account = v),
        new("partition", 'p', ArgKind.Required, "partition to run in", (r, v) => r.Partition = v),
        new("ntasks", 'n', ArgKind.Required, "number of tasks (all on one node)", (r, v) => r.Ntasks = Count(v!, "--ntasks")),
        new("ntasks-per-node", null, ArgKind.Required, "tasks per node", (r, v) => r.NtasksPerNode = Count(v!, "--ntasks-per-node")),
        new("cpus-per-task", 'c', ArgKind.Required, "CPUs per task", (r, v) => r.CpusPerTask = Count(v!, "--cpus-per-task")),
        new("nodes", 'N', ArgKind.Required, "number of nodes (only 1)", (_, v) => OneNode(v!)),
        new("mem", null, ArgKind.Required, "memory per node (MB, or K/M/G/T)", (r, v) => r.MemMb = SlurmMemory.ParseMb(v!, "--mem")),
        new("mem-per-cpu", null, ArgKind.Required, "memory per CPU (MB, or K/M/G/T)", (r, v) => r.MemPerCpuMb = SlurmMemory.ParseMb(v!, "--mem-per-cpu")),
        new("time", 't', ArgKind.Required, "time limit: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS",
            (r, v) => (r.TimeSet, r.TimeSeconds) = (true, SlurmTime.ParseLimit(v!, "--time"))),
        new("output", 'o', ArgKind.Required, "stdout file pattern (%j %x %A %a %u %%)", (r, v) => r.Output = v),
        new("error", 'e', ArgKind.Required, "stderr file pattern (default: with stdout)", (r, v) => r.Error = v),
        new("chdir", 'D', ArgKind.Required, "working directory of the job", (r, v) => r.Chdir = v),
        new("export", null, ArgKind.Required, "ALL, NONE, or [ALL,]VAR[=value],...", (r, v) => r.Export = v),
        new("array", 'a', ArgKind.Required, "job array: 0-15, 1,3,5, 0-15:4, with %N to limit", (r, v) => r.Array = v),
        new("dependency", 'd', ArgKind.Required, "afterok:ID[:ID...], afterany, afternotok, after", (r, v) => r.Dependency = v),
        new("begin", 'b', ArgKind.Required, "start no earlier than: now+1hour, 16:00, 2026-12-01T02:00", (r, v) => r.Begin = v),
        new("exclusive", null, ArgKind.Optional, "the whole node", (r, v) => r.Exclusive = Exclusive(v)),
        new("nice", null, ArgKind.Optional, "lower the priority (default adjustment 100)", (r, v) => r.Nice = Nice(v)),
        new("priority", null, ArgKind.Required, "priority (higher runs first; 5 is normal)", (r, v) => r.Priority = Number(v!, "--priority", 0, 1000)),
        new("wrap", null, ArgKind.Required, "a command to run as the script (sh)", (r, v) => r.Wrap = v),
        new("parsable", null, ArgKind.None, "print only the job id", (r, _) => r.Parsable = true),
        new("wait", 'W', ArgKind.None, "wait for the job to end; exit with its code", (r, _) => r.Wait = true),
        new("follow", null, ArgKind.None, "stream the job's output while waiting (Conductor)", (r, _) => r.Follow = true),
        new("open-mode", null, ArgKind.Required, "truncate (append is not supported yet)", (_, v) => OpenMode(v!)),
        new("quiet", 'Q', ArgKind.None, "no warnings", (r, _) => r.Quiet = true),
        new("verbose", 'v', ArgKind.None, "accepted", (_, _) => { }),
        new("no-requeue", null, ArgKind.None, "never requeue (the default)", (r, _) => r.Requeue = false),
        new("help", 'h', ArgKind.None, "this help", (r, _) => r.Help = true),
        new("usage", null, ArgKind.None, "a short usage line", (r, _) => r.Usage = true),
        new("version", 'V', ArgKind.None, "the version", (r, _) => r.Version = true),
        new("hold", 'H', ArgKind.None, "submit held: it waits until scontrol release", (r, _) => r.Hold = true),
        new("requeue", null, ArgKind.None, "requeue after a node failure or a lost worker", (r, _) => r.Requeue = true),
        new("gres", null, ArgKind.Required, "GPUs: gpu[:MODEL][:COUNT], e.g. gpu:2, gpu:a100:1 (none: no GPUs)", (r, v) => r.Gres = NoneIsNull(v!)),
        new("gpus", 'G', ArgKind.Required, "GPUs: [MODEL:]COUNT, e.g. 2, a100:2", (r, v) => r.Gpus = v),
        new("gpus-per-node", null, ArgKind.Required, "GPUs on the node (the same as --gpus: one node)", (r, v) => r.Gpus = v),
        Refused("gpus-per-task", null, ArgKind.Required, "GPUs"),
        Refused("gpus-per-socket", null, ArgKind.Required, "GPUs"),
        Refused("cpus-per-gpu", null, ArgKind.Required, "GPUs"),
        Refused("mem-per-gpu", null, ArgKind.Required, "GPUs"),
        Refused("nodelist", 'w', ArgKind.Required, "choosing nodes"),
        Refused("exclude", 'x', ArgKind.Required, "excluding nodes"),
        Refused("constraint", 'C', ArgKind.Required, "node features"),
        Refused("reservation", null, ArgKind.Required, "reservations"),
        Refused("signal", null, ArgKind.Required, "signals before the time limit"),
        Refused("input", 'i', ArgKind.Required, "standard input (jobs read /dev/null)"),
        Refused("export-file", null, ArgKind.Required, "--export-file"),
        Refused("deadline", null, ArgKind.Required, "deadlines"),
        Refused("clusters", 'M', ArgKind.Required, "several clusters"),
        Refused("licenses", 'L', ArgKind.Required, "licenses"),
        Refused("tmp", null, ArgKind.Required, "temporary disk requests"),
        Refused("ntasks-per-core", null, ArgKind.Required, "per-core task layouts"),
        Refused("ntasks-per-socket", null, ArgKind.Required, "per-socket task layouts"),
        Refused("sockets-per-node", null, ArgKind.Required, "socket layouts"),
        Refused("cores-per-socket", null, ArgKind.Required, "core layouts"),
        Refused("extra-node-info", 'B', ArgKind.Required, "socket and core layouts"),
        Refused("uid", null, ArgKind.Required, "submitting as another user"),
        Refused("gid", null, ArgKind.Required, "submitting as another group"),
        Refused("test-only", null, ArgKind.None, "--test-only"),
        Ignored("mail-type", null, ArgKind.Required, "mail is not sent"),
        Ignored("mail-user", null, ArgKind.Required, "mail is not sent"),
        Ignored("comment", null, ArgKind.Required, "comments are not kept"),
        Ignored("qos", 'q', ArgKind.Required, "there are no QOS levels; use --priority"),
        Ignored("time-min", null, ArgKind.Required, "the full --time is used"),
        Ignored("oversubscribe", 's', ArgKind.None, "cores are never shared"),
        Ignored("distribution", 'm', ArgKind.Required, "tasks run on one node"),
        Ignored("hint", null, ArgKind.Required, "hints do not change placement"),
        Ignored("get-user-env", null, ArgKind.Optional, "the environment is the one --export gives"),
        Ignored("propagate", null, ArgKind.Optional, "resource limits are the node's"),
        Ignored("profile", null, ArgKind.Required, "profiling is not collected"),
        Ignored("acctg-freq", null, ArgKind.Required, "accounting has its own frequency"),
        Ignored("kill-on-invalid-dep", null, ArgKind.Required, "a dependency that can never be met always fails the job"),
    ];

    private static SlurmOption<SbatchRequest> Refused(string name, char? letter, ArgKind arg, string what) =>
        new(name, letter, arg, $"{what}: {NotYet}", (_, _) => throw new SlurmUsageException($"--{name} ({what}) {NotYet}"), OptionSupport.Refused);

    private static SlurmOption<SbatchRequest> Ignored(string name, char? letter, ArgKind arg, string why) =>
        new(name, letter, arg, $"ignored: {why}", (r, _) => r.Warnings.Add($"--{name} is ignored: {why}"), OptionSupport.Ignored, why);

    public static int Number(string text, string option, int min, int max) =>
        int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new SlurmUsageException($"Invalid {option} value '{text}': expected a whole number from {min} to {max}");

    private static int Count(string text, string option) => Number(text, option, 1, 4096);

    /// <summary>-N 1, -N 1-1 and -N 1-4 can be met on one node; anything that needs two cannot.</summary>
    private static void OneNode(string text)
    {
        var min = text.Split('-')[0];
        if (Number(min, "--nodes", 1, int.MaxValue) > 1)
            throw new SlurmUsageException($"--nodes={text} is not supported yet: a job runs on one node (use -N 1)");
    }

    private static bool Exclusive(string? mode) => mode is null or "" ? true
        : throw new SlurmUsageException($"--exclusive={mode} {NotYet}: only --exclusive (the whole node)");

    private static string? NoneIsNull(string gres) => gres.Trim().Equals("none", StringComparison.OrdinalIgnoreCase) ? null : gres;

    private static int Nice(string? text) => text is null ? 100 : Number(text, "--nice", -2147483645, 2147483645);

    private static void OpenMode(string mode)
    {
        if (mode.Equals("truncate", StringComparison.OrdinalIgnoreCase)) return;
        if (mode.Equals("append", StringComparison.OrdinalIgnoreCase)) throw new SlurmUsageException($"--open-mode=append {NotYet}: output files are truncated");
        throw new SlurmUsageException($"Invalid --open-mode '{mode}': use append or truncate");
    }
}
