using System.Text.Json.Nodes;
using Conductor.Cli.Commands;
using Conductor.Cli.Config;
using Conductor.Cli.Sbatch;

namespace Conductor.Tests.Cli;

/// <summary>A CLI context of the tests' own: a fixed clock, environment and directory, captured output.</summary>
internal static class CliTestContext
{
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    public static CliContext Create(IDictionary<string, string>? env = null, string? cwd = null, string stdin = "") =>
        new(new CliConfig("http://127.0.0.1:1", null, null), new Dictionary<string, string>(env ?? new Dictionary<string, string>()),
            cwd ?? "/tmp/submit-dir", new StringReader(stdin), stdin.Length > 0, new StringWriter(), new StringWriter(), new FixedClock(Now));

    /// <summary>Writes <paramref name="script"/> to a file and runs sbatch's parsing on it with <paramref name="args"/> before the script name.</summary>
    public static JsonObject Job(string script, params string[] args) => Body(script, args, null)["job"]!.AsObject();

    public static JsonObject Body(string script, string[] args, IDictionary<string, string>? env, string[]? scriptArgs = null)
    {
        var dir = Directory.CreateTempSubdirectory("cli-test-");
        try
        {
            var path = Path.Combine(dir.FullName, "job.sh");
            File.WriteAllText(path, script);
            var (_, body) = SbatchCommand.Prepare([.. args, path, .. scriptArgs ?? []], Create(env))!.Value;
            return body;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
