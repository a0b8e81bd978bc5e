namespace Conductor.Core.Jobs;

/// <summary>
/// Environment variable names a job may not set. The job's environment is applied to the whole
/// spawn chain (setsid, setpriv, taskset, bash), which runs as root until setpriv drops
/// privileges, so anything the dynamic loader, glibc or bash reads at start-up is reserved:
/// <c>LD_*</c> (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT...), glibc's GCONV_PATH, GLIBC_TUNABLES,
/// LOCPATH, NLSPATH, MALLOC_*, HOSTALIASES, RES_OPTIONS, and bash's BASH_ENV, ENV,
/// PROMPT_COMMAND, SHELLOPTS, BASHOPTS, IFS, CDPATH, GLOBIGNORE, PS4, BASH_XTRACEFD. Conductor's
/// own CONDUCTOR_* and the Slurm-compatible SLURM_* are set by the worker and not overridable.
/// PATH is allowed on purpose: scripts need it (modules, conda), and the launcher runs every
/// tool of the chain by absolute path while the wrapper uses only builtins before the script.
/// </summary>
public static class EnvironmentPolicy
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "BASH_ENV", "ENV", "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "IFS", "CDPATH", "GLOBIGNORE", "PS4", "BASH_XTRACEFD",
        "GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS", "LOCALDOMAIN",
    };

    private static readonly string[] ReservedPrefixes = ["LD_", "MALLOC_", "CONDUCTOR_", "SLURM_", "BASH_FUNC_"];

    public static bool IsReserved(string name) =>
        Reserved.Contains(name) || ReservedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
}
