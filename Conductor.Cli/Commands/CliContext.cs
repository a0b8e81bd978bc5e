using Conductor.Cli.Api;
using Conductor.Cli.Config;

namespace Conductor.Cli.Commands;

/// <summary>Everything a command reads from or writes to its surroundings, so tests can give their own.</summary>
internal sealed record CliContext(
    CliConfig Config, IReadOnlyDictionary<string, string> Environment, string WorkingDirectory, TextReader Stdin, bool StdinRedirected,
    TextWriter Out, TextWriter Error, TimeProvider Clock)
{
    /// <summary>Cancelled by Ctrl-C (the command then stops what it waits on).</summary>
    public CancellationToken Cancel { get; init; }

    public ApiClient Client() => new(Config);

    public static IReadOnlyDictionary<string, string> ProcessEnvironment() =>
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
}
