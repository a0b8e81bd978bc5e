namespace Conductor.Core.Jobs;

/// <summary>
/// Which environment variables a job may set, and which the worker holds back until the job's
/// own script starts. A job's shell is started directly by the spawner (posix_spawn, no setsid,
/// setpriv or taskset in between) as the job's own user with no_new_privs, so what the dynamic
/// loader or bash read at start-up (LD_LIBRARY_PATH, which <c>module load</c> sets, LD_PRELOAD,
/// BASH_ENV...) can only affect the job's own processes. They are still held back past the job
/// wrapper's few builtins (the cgroup gate, <c>cd</c>, <c>ulimit -f</c>): code run before the
/// output-size cap could lift it. They are therefore allowed and handed over by the wrapper
/// (see <see cref="IsHeldBack"/>).
/// Refused, because a job could only be misled by them: Conductor's own CONDUCTOR_* names and the
/// SLURM_* names the worker sets for every job (a value given here would be overwritten), the names
/// that tell a job its GPUs (CUDA_VISIBLE_DEVICES...: <see cref="DeviceNames"/>), and
/// the wrapper's private <c>__CJ_</c>/<c>__cj_</c> names.
/// </summary>
public static class EnvironmentPolicy
{
    /// <summary>The Slurm-compatible names the worker sets itself.</summary>
    private static readonly HashSet<string> SetByWorker = new(StringComparer.Ordinal)
    {
        "SLURM_JOB_ID", "SLURM_JOB_NAME", "SLURM_JOB_PARTITION", "SLURM_SUBMIT_DIR", "SLURM_CPUS_ON_NODE", "SLURM_NODELIST",
        "SLURMD_NODENAME", "SLURM_NTASKS", "SLURM_CPUS_PER_TASK", "SLURM_MEM_PER_NODE", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_JOB_ID",
    };

    /// <summary>The names that tell a job its GPUs: only the devices allocated to it may be named.</summary>
    public static readonly IReadOnlySet<string> DeviceNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "CUDA_VISIBLE_DEVICES", "SLURM_JOB_GPUS", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES",
    };

    private static readonly HashSet<string> StartUp = new(StringComparer.Ordinal)
    {
        "BASH_ENV", "ENV", "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "IFS", "CDPATH", "GLOBIGNORE", "PS4", "BASH_XTRACEFD",
        "GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS", "LOCALDOMAIN",
    };

    private static readonly string[] StartUpPrefixes = ["LD_", "MALLOC_", "BASH_FUNC_"];

    public static bool IsReserved(string name) => ReservedBecause(name) is not null;

    /// <summary>Why a job may not set <paramref name="name"/>, or null when it may.</summary>
    public static string? ReservedBecause(string name)
    {
        if (name.StartsWith("CONDUCTOR_", StringComparison.Ordinal))
            return "CONDUCTOR_* variables are set by Conductor for every job";
        if (SetByWorker.Contains(name))
            return $"{name} is set by Conductor for every job (as Slurm does); a value given here would be overwritten";
        if (DeviceNames.Contains(name))
            return $"{name} names the job's GPUs, which Conductor sets from the devices allocated to it (ask for GPUs with 'gpus' or 'gres')";
        if (name.StartsWith("__CJ_", StringComparison.OrdinalIgnoreCase))
            return "__CJ_* names are used by Conductor's job wrapper";
        return null;
    }

    /// <summary>
    /// A start-up variable of the loader, glibc or bash: the launcher renames it (<c>__CJ_ENV_</c>
    /// prefix) and the job wrapper restores it only after its own builtins, just before the script.
    /// </summary>
    public static bool IsHeldBack(string name) =>
        StartUp.Contains(name) || StartUpPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
}
