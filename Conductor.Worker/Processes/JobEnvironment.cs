using System.Globalization;
using Conductor.Core.Jobs;
using Conductor.Core.Nodes;

namespace Conductor.Worker.Processes;

/// <summary>
/// The environment a job sees: a small base inherited from the worker (PATH, HOME, locale), the
/// job's own variables, and Conductor's plus the Slurm-compatible ones. Everything else of the
/// worker's environment (connection strings, secrets) is removed.
/// </summary>
public static class JobEnvironment
{
    private static readonly string[] Inherited = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL"];

    // The worker's environment does not change while it runs: work out once what every job starts from.
    private static readonly Dictionary<string, string?> Base = BuildBase();

    private static Dictionary<string, string?> BuildBase()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
            env[key] = null; // null: not passed on (the launcher hands the spawner only the variables set)
        foreach (var key in Inherited)
            if (Environment.GetEnvironmentVariable(key) is { } value) env[key] = value;
        env["PATH"] ??= "/usr/local/bin:/usr/bin:/bin";
        return env;
    }

    public static IReadOnlyDictionary<string, string?> Build(Job job, string node, IReadOnlyList<int> cpuIds, JobFiles files, JobUser? user = null,
        IReadOnlyList<NodeDevice>? gpus = null)
    {
        var env = new Dictionary<string, string?>(Base, StringComparer.Ordinal);

        if (user is not null)
        {
            env["USER"] = env["LOGNAME"] = user.Name;
            env["HOME"] = Directory.Exists(user.Home) ? user.Home : files.Directory;
        }

        // The API refuses reserved names; a row written some other way must not get them through either.
        foreach (var (key, value) in job.Environment)
            if (!EnvironmentPolicy.IsReserved(key)) env[key] = value;

        var id = job.Id.ToString(CultureInfo.InvariantCulture);
        var name = job.Name ?? $"job-{id}";
        var cpus = cpuIds.Count.ToString(CultureInfo.InvariantCulture);
        Set(env, "JOB_ID", id);
        Set(env, "JOB_NAME", name);
        Set(env, "JOB_PARTITION", job.Partition);
        Set(env, "SUBMIT_DIR", files.WorkDir);
        env["CONDUCTOR_CPUS"] = cpus;
        env["CONDUCTOR_NODE"] = node;
        env["CONDUCTOR_CPU_IDS"] = string.Join(',', cpuIds);
        env["CONDUCTOR_JOB_DIR"] = files.Directory;
        env["CONDUCTOR_RESTART_COUNT"] = Math.Max(0, job.Attempt - 1).ToString(CultureInfo.InvariantCulture);
        env["SLURM_CPUS_ON_NODE"] = cpus;
        env["SLURM_NODELIST"] = node;
        env["SLURMD_NODENAME"] = node;
        env["SLURM_NTASKS"] = job.NtasksPerNode.ToString(CultureInfo.InvariantCulture);
        env["SLURM_CPUS_PER_TASK"] = job.CpusPerTask.ToString(CultureInfo.InvariantCulture);
        env["SLURM_MEM_PER_NODE"] = job.MemoryMb.ToString(CultureInfo.InvariantCulture);
        if (gpus is { Count: > 0 }) SetGpus(env, gpus);
        if (job.ArrayTaskId is { } task)
        {
            Set(env, "ARRAY_TASK_ID", task.ToString(CultureInfo.InvariantCulture));
            Set(env, "ARRAY_JOB_ID", (job.ArrayJobId ?? job.Id).ToString(CultureInfo.InvariantCulture));
        }
        return env;
    }

    /// <summary>
    /// The job's GPUs by their node ids, as Slurm names them: SLURM_JOB_GPUS and GPU_DEVICE_ORDINAL
    /// all of them, CUDA_VISIBLE_DEVICES the NVIDIA ones, ROCR_VISIBLE_DEVICES the AMD ones. Set only
    /// for a job that holds GPUs; a job may not set these names itself (EnvironmentPolicy).
    /// </summary>
    private static void SetGpus(Dictionary<string, string?> env, IReadOnlyList<NodeDevice> gpus)
    {
        static string Ids(IEnumerable<NodeDevice> devices) => string.Join(',', devices.Select(d => d.Id.ToString(CultureInfo.InvariantCulture)));
        var all = Ids(gpus);
        env["SLURM_JOB_GPUS"] = env["GPU_DEVICE_ORDINAL"] = env["CONDUCTOR_GPU_IDS"] = all;
        if (gpus.Any(d => d.Vendor == NodeDevice.Nvidia)) env["CUDA_VISIBLE_DEVICES"] = Ids(gpus.Where(d => d.Vendor == NodeDevice.Nvidia));
        if (gpus.Any(d => d.Vendor == NodeDevice.Amd)) env["ROCR_VISIBLE_DEVICES"] = Ids(gpus.Where(d => d.Vendor == NodeDevice.Amd));
    }

    private static void Set(Dictionary<string, string?> env, string suffix, string value)
    {
        env["CONDUCTOR_" + suffix] = value;
        env["SLURM_" + suffix] = value;
    }
}
