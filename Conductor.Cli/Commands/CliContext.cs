using Conductor.Cli.Api;
using Conductor.Cli.Config;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Commands;

/// <summary>Everything a command reads from or writes to its surroundings, so tests can give their own.</summary>
internal sealed record CliContext(
    CliConfig Config, IReadOnlyDictionary<string, string> Environment, string WorkingDirectory, TextReader Stdin, bool StdinRedirected,
    TextWriter Out, TextWriter Error, TimeProvider Clock)
{
    /// <summary>Cancelled by Ctrl-C (the command then stops what it waits on).</summary>
    public CancellationToken Cancel { get; init; }

    public ApiClient Client() => new(Config);

    /// <summary>
    /// Runs a Slurm-style command: a usage, configuration or API error is one line
    /// <c>tool: error: ...</c> and exit code 1, as Slurm's own tools report them.
    /// </summary>
    public async Task<int> ReportingErrorsAsync(string tool, Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (Exception e) when (e is SlurmUsageException or ApiException or ApiUnreachableException or CliException)
        {
            await Error.WriteLineAsync($"{tool}: error: {e.Message}");
            return 1;
        }
    }

    public static IReadOnlyDictionary<string, string> ProcessEnvironment() =>
        System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
}
