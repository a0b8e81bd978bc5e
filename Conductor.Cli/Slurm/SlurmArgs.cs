namespace Conductor.Cli.Slurm;

/// <summary>One recognised option occurrence, in command-line order.</summary>
internal sealed record ParsedOption<T>(SlurmOption<T> Option, string? Value, string Spelled);

/// <summary>What a command line holds: its options in order, the positional words, and the unknown options (tolerant mode).</summary>
internal sealed record ParsedArgs<T>(IReadOnlyList<ParsedOption<T>> Options, IReadOnlyList<string> Positionals, IReadOnlyList<string> Unknown);

/// <summary>
/// Parses arguments the way Slurm's commands do with getopt_long: <c>-J name</c>, <c>-Jname</c>,
/// <c>--job-name name</c>, <c>--job-name=name</c>, a unique prefix of a long name (<c>--job=x</c>),
/// clustered flags (<c>-Wv</c>), an optional value only after '=' (<c>--nice=10</c>), and
/// <c>--</c> ending the options. sbatch stops at the first positional word (the script): what
/// follows belongs to the script (<paramref name="stopAtFirstPositional"/>); the other commands
/// take positional words anywhere, as GNU getopt permutes them.
/// </summary>
internal sealed class SlurmArgs<T>(IReadOnlyList<SlurmOption<T>> table, bool stopAtFirstPositional)
{
    /// <param name="tolerant">Collect unknown options instead of failing (#SBATCH lines warn about them).</param>
    public ParsedArgs<T> Parse(IReadOnlyList<string> args, bool tolerant = false)
    {
        var options = new List<ParsedOption<T>>();
        var positionals = new List<string>();
        var unknown = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                positionals.AddRange(args.Skip(i + 1));
                break;
            }
            if (arg.StartsWith("--", StringComparison.Ordinal)) i = Long(args, i, options, unknown, tolerant);
            else if (arg.Length > 1 && arg[0] == '-') i = Short(args, i, options, unknown, tolerant);
            else
            {
                positionals.Add(arg);
                if (stopAtFirstPositional)
                {
                    positionals.AddRange(args.Skip(i + 1));
                    break;
                }
            }
        }
        return new ParsedArgs<T>(options, positionals, unknown);
    }

    private int Long(IReadOnlyList<string> args, int i, List<ParsedOption<T>> options, List<string> unknown, bool tolerant)
    {
        var body = args[i][2..];
        var eq = body.IndexOf('=');
        var name = eq >= 0 ? body[..eq] : body;
        var option = FindLong(name, args[i]);
        if (option is null)
        {
            if (!tolerant) throw new SlurmUsageException($"unrecognized option '{args[i]}'");
            unknown.Add(args[i]);
            return i;
        }
        string? value = eq >= 0 ? body[(eq + 1)..] : null;
        switch (option.Arg)
        {
            case ArgKind.None when value is not null:
                throw new SlurmUsageException($"option '--{option.Long}' doesn't allow an argument");
            case ArgKind.Required when value is null:
                if (i + 1 >= args.Count) throw new SlurmUsageException($"option '--{option.Long}' requires an argument");
                value = args[++i];
                break;
        }
        options.Add(new ParsedOption<T>(option, value, $"--{option.Long}"));
        return i;
    }

    private SlurmOption<T>? FindLong(string name, string spelled)
    {
        var exact = table.FirstOrDefault(o => o.Long == name);
        if (exact is not null) return exact;
        var prefixed = name.Length == 0 ? [] : table.Where(o => o.Long.StartsWith(name, StringComparison.Ordinal)).ToList();
        return prefixed.Count switch
        {
            1 => prefixed[0],
            0 => null,
            _ => throw new SlurmUsageException($"option '{spelled}' is ambiguous; possibilities: {string.Join(' ', prefixed.Select(o => "--" + o.Long))}"),
        };
    }

    private int Short(IReadOnlyList<string> args, int i, List<ParsedOption<T>> options, List<string> unknown, bool tolerant)
    {
        var arg = args[i];
        for (var k = 1; k < arg.Length; k++)
        {
            var letter = arg[k];
            var option = table.FirstOrDefault(o => o.Short == letter);
            if (option is null)
            {
                if (!tolerant) throw new SlurmUsageException($"invalid option -- '{letter}'");
                unknown.Add($"-{letter}");
                return i;
            }
            if (option.Arg == ArgKind.None)
            {
                options.Add(new ParsedOption<T>(option, null, $"-{letter}"));
                continue;
            }
            string? value = k + 1 < arg.Length ? arg[(k + 1)..] : null;
            if (value is null && option.Arg == ArgKind.Required)
            {
                if (i + 1 >= args.Count) throw new SlurmUsageException($"option requires an argument -- '{letter}'");
                value = args[++i];
            }
            options.Add(new ParsedOption<T>(option, value, $"-{letter}"));
            return i;
        }
        return i;
    }
}
