using Conductor.Core.Operations;

namespace Conductor.Worker.Operations;

/// <summary>
/// The few GNU-style options the operations commands take: switches (<c>--json</c>) and
/// options with a value (<c>--older-than 7d</c> or <c>--older-than=7d</c>). Anything else is a
/// usage error, reported rather than ignored, because a typo in a cron line must not silently
/// turn a dry run into a real one.
/// </summary>
internal sealed class CommandArgs
{
    private readonly HashSet<string> _switches = [];
    private readonly Dictionary<string, string> _values = [];

    public string? Error { get; private set; }

    public static CommandArgs Parse(IReadOnlyList<string> args, IReadOnlySet<string> switches, IReadOnlySet<string> options)
    {
        var parsed = new CommandArgs();
        for (var i = 0; i < args.Count && parsed.Error is null; i++)
        {
            var (name, inline) = args[i].Split('=', 2) is [var n, var v] ? (n, v) : (args[i], null);
            if (switches.Contains(name) && inline is null) parsed._switches.Add(name);
            else if (options.Contains(name) && (inline ?? (i + 1 < args.Count ? args[++i] : null)) is { } value) parsed._values[name] = value;
            else parsed.Error = options.Contains(name) ? $"option {name} needs a value" : $"unknown argument '{args[i]}'";
        }
        return parsed;
    }

    public bool Has(string name) => _switches.Contains(name);

    public string? Value(string name) => _values.GetValueOrDefault(name);

    /// <summary>A duration option (<c>7d</c>, <c>12h</c>); records a usage error when malformed.</summary>
    public TimeSpan? Duration(string name)
    {
        if (Value(name) is not { } text) return null;
        if (Durations.TryParse(text, out var span)) return span;
        Error ??= $"{name} must be a duration such as 45s, 30m, 12h or 7d, not '{text}'";
        return null;
    }

    public int? Int(string name, int min, int max)
    {
        if (Value(name) is not { } text) return null;
        if (int.TryParse(text, out var n) && n >= min && n <= max) return n;
        Error ??= $"{name} must be an integer between {min} and {max}, not '{text}'";
        return null;
    }
}
