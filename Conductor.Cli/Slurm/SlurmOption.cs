namespace Conductor.Cli.Slurm;

/// <summary>Whether an option takes a value, as in getopt_long's option table.</summary>
internal enum ArgKind { None, Required, Optional }

/// <summary>What the command does with an option it recognises.</summary>
internal enum OptionSupport
{
    /// <summary>Honoured.</summary>
    Supported,

    /// <summary>Changes how the job runs, and Conductor cannot do that yet: an error naming it.</summary>
    Refused,

    /// <summary>Has no effect on what the job computes (mail, comments, QOS): accepted with a warning.</summary>
    Ignored,
}

/// <summary>
/// One row of a Slurm command's option table: its long name (without "--"), optional short
/// letter, whether it takes a value, and what to do with it. <paramref name="Apply"/> receives
/// the target and the value (null for a flag); it throws <see cref="SlurmUsageException"/> for a
/// bad value.
/// </summary>
internal sealed record SlurmOption<T>(string Long, char? Short, ArgKind Arg, string Help, Action<T, string?> Apply,
    OptionSupport Support = OptionSupport.Supported, string? Why = null)
{
    public string Spelling => Short is { } s ? $"-{s}, --{Long}" : $"    --{Long}";
}

/// <summary>A command line the user must correct; the message names what is wrong.</summary>
internal sealed class SlurmUsageException(string message) : Exception(message);
