using System.Text.RegularExpressions;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Sbatch;

/// <summary>
/// sbatch's <c>--export</c>: <c>ALL</c> (the default) sends the submitter's environment,
/// <c>NONE</c> sends nothing (the job gets only the node's base environment and Conductor's and
/// Slurm's variables), and a list <c>[ALL,]NAME[=value],...</c> sends the named variables (their
/// current values unless given) on top of everything (with ALL) or of nothing.
///
/// From the submitter's environment a few names are never sent: those the API refuses (loader,
/// shell start-up, CONDUCTOR_* and SLURM_*, which the job gets afresh), the identity the job's
/// own Unix user is given (HOME, USER, LOGNAME, SHELL), the shell's own bookkeeping (PWD, SHLVL,
/// _), and Conductor's own secrets (connection strings, the token) should an operator's shell hold them.
/// </summary>
internal static partial class ExportSpec
{
    [GeneratedRegex(@"\A[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex Name();

    private static readonly HashSet<string> NeverFromAll = new(StringComparer.Ordinal)
    {
        "HOME", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "SHLVL", "_", "MAIL", "TERMCAP", "PGPASSWORD", "REDISCLI_AUTH",
        "SSH_AUTH_SOCK", "SSH_AGENT_PID", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
    };

    /// <summary>The same names the API refuses (Conductor.Core EnvironmentPolicy): sending one would fail the submit.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "BASH_ENV", "ENV", "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "IFS", "CDPATH", "GLOBIGNORE", "PS4", "BASH_XTRACEFD",
        "GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS", "LOCALDOMAIN",
    };

    private static readonly string[] ReservedPrefixes = ["LD_", "MALLOC_", "CONDUCTOR_", "SLURM_", "BASH_FUNC_", "ConnectionStrings__"];

    public static bool IsReserved(string name) => Reserved.Contains(name) || ReservedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));

    public static Dictionary<string, string> Resolve(string? spec, IReadOnlyDictionary<string, string> submitter)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var items = (spec ?? "ALL").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0) throw new SlurmUsageException("--export needs ALL, NONE or a list of variables");
        foreach (var item in items)
        {
            if (item.Equals("ALL", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var (name, value) in submitter)
                    if (Sendable(name, value)) result[name] = value;
            }
            else if (item.Equals("NONE", StringComparison.OrdinalIgnoreCase))
            {
                if (items.Length > 1) throw new SlurmUsageException("--export=NONE cannot be combined with other variables");
            }
            else Add(item, submitter, result);
        }
        return result;
    }

    private static bool Sendable(string name, string value) =>
        Name().IsMatch(name) && !IsReserved(name) && !NeverFromAll.Contains(name) && !value.Contains('\0') && name.Length <= 256;

    private static void Add(string item, IReadOnlyDictionary<string, string> submitter, Dictionary<string, string> result)
    {
        var eq = item.IndexOf('=');
        var name = eq >= 0 ? item[..eq] : item;
        if (!Name().IsMatch(name)) throw new SlurmUsageException($"--export: '{name}' is not a valid environment variable name");
        if (IsReserved(name))
            throw new SlurmUsageException($"--export: {name} is reserved (loader, shell start-up, CONDUCTOR_* and SLURM_* variables cannot be set by a job)");
        if (eq >= 0) result[name] = item[(eq + 1)..];
        else if (submitter.TryGetValue(name, out var value)) result[name] = value;
    }
}
