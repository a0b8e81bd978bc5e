using System.Text.Json;
using Conductor.Cli.Api;
using Conductor.Cli.Commands;
using Conductor.Cli.Config;
using Conductor.Cli.Slurm;

namespace Conductor.Cli.Sbatch;

/// <summary>
/// <c>sbatch [options] script [args...]</c> (or <c>--wrap</c>, or the script on stdin): reads the
/// script's #SBATCH lines, then SBATCH_* variables, then the command line, submits, and prints
/// <c>Submitted batch job N</c> (or N with --parsable); with --wait it exits with the job's code.
/// </summary>
internal static class SbatchCommand
{
    private static readonly SlurmArgs<SbatchRequest> Parser = new(SbatchOptions.Table, stopAtFirstPositional: true);

    /// <summary>SBATCH_* input variables sbatch reads, and the option each stands for.</summary>
    private static readonly (string Variable, string Option)[] InputVariables =
    [
        ("SBATCH_JOB_NAME", "--job-name"), ("SBATCH_ACCOUNT", "--account"), ("SBATCH_PARTITION", "--partition"),
        ("SBATCH_TIMELIMIT", "--time"), ("SBATCH_EXPORT", "--export"), ("SBATCH_MEM_PER_NODE", "--mem"),
        ("SBATCH_MEM_PER_CPU", "--mem-per-cpu"), ("SBATCH_ARRAY_INX", "--array"),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext cx)
    {
        try
        {
            var prepared = Prepare(args, cx);
            if (prepared is null) return 0;
            var (request, body) = prepared.Value;
            foreach (var warning in request.Warnings.Where(_ => !request.Quiet)) await cx.Error.WriteLineAsync($"sbatch: warning: {warning}");
            return await SubmitAsync(request, body, cx);
        }
        catch (SlurmUsageException e)
        {
            await cx.Error.WriteLineAsync($"sbatch: error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Parses everything and builds the submit body; null when only help or the version was asked for.</summary>
    public static (SbatchRequest, System.Text.Json.Nodes.JsonObject)? Prepare(IReadOnlyList<string> args, CliContext cx)
    {
        var command = Parser.Parse(args);
        var request = new SbatchRequest();
        foreach (var option in command.Options.Where(o => o.Option.Long is "help" or "usage" or "version")) option.Option.Apply(request, option.Value);
        if (request.Help || request.Usage || request.Version)
        {
            cx.Out.Write(request.Version ? $"conductor sbatch {typeof(SbatchCommand).Assembly.GetName().Version}\n" : Help(request.Usage));
            return null;
        }
        var wrap = command.Options.LastOrDefault(o => o.Option.Long == "wrap")?.Value;
        var (script, scriptName, scriptArgs) = ReadScript(command.Positionals, wrap, cx);

        var directives = Parser.Parse(ScriptDirectives.Read(script), tolerant: true);
        foreach (var unknown in directives.Unknown) request.Warnings.Add($"ignoring unknown #SBATCH option '{unknown}'");
        Apply(request, directives.Options, level: 0);
        var fromEnvironment = InputVariables.Where(v => cx.Environment.GetValueOrDefault(v.Variable) is { Length: > 0 })
            .SelectMany(v => new[] { v.Option, cx.Environment[v.Variable] }).ToList();
        Apply(request, Parser.Parse(fromEnvironment).Options, level: 1);
        Apply(request, command.Options, level: 2);
        if (request.Follow) request.Wait = true;

        var user = request.Account ?? cx.Config.Account ?? cx.Environment.GetValueOrDefault("USER") ?? Environment.UserName;
        var context = new SubmitContext(ScriptDirectives.WithArguments(script, scriptArgs), scriptName, cx.WorkingDirectory, user,
            cx.Environment, cx.Clock.GetUtcNow());
        return (request, SubmitBody.Build(request, context));
    }

    private static void Apply(SbatchRequest request, IEnumerable<ParsedOption<SbatchRequest>> options, int level)
    {
        request.Level = level;
        foreach (var option in options) option.Option.Apply(request, option.Value);
    }

    private static (string Script, string Name, IReadOnlyList<string> Args) ReadScript(IReadOnlyList<string> positionals, string? wrap, CliContext cx)
    {
        if (wrap is not null)
        {
            if (positionals.Count > 0) throw new SlurmUsageException("script argument not permitted with --wrap option");
            return ($"#!/bin/sh\n# This script was created by sbatch --wrap.\n\n{wrap}\n", "wrap", []);
        }
        string script, name;
        if (positionals.Count == 0 || positionals[0] == "-")
        {
            if (!cx.StdinRedirected && positionals.Count == 0) throw new SlurmUsageException("no batch script given: sbatch [options] script [args...], or --wrap \"command\"");
            script = cx.Stdin.ReadToEnd();
            name = "sbatch";
        }
        else
        {
            var path = Path.GetFullPath(positionals[0], cx.WorkingDirectory);
            if (!File.Exists(path)) throw new SlurmUsageException($"Unable to open file {positionals[0]}");
            script = File.ReadAllText(path);
            name = Path.GetFileName(path);
        }
        if (!script.StartsWith("#!", StringComparison.Ordinal))
            throw new SlurmUsageException("This does not look like a batch script.  The first line must start with #! followed by the path to an interpreter.\nFor instance: #!/bin/sh");
        if (script.Contains('\0')) throw new SlurmUsageException("The batch script contains a NUL character");
        return (script, name, positionals.Skip(1).ToList());
    }

    private static async Task<int> SubmitAsync(SbatchRequest request, System.Text.Json.Nodes.JsonObject body, CliContext cx)
    {
        using var client = cx.Client();
        string id;
        try
        {
            var answer = await client.PostAsync("jobs/submit", body, cx.Cancel);
            id = answer.GetProperty("job_id").ToString();
        }
        catch (Exception e) when (e is ApiException or ApiUnreachableException)
        {
            await cx.Error.WriteLineAsync($"sbatch: error: Batch job submission failed: {e.Message}");
            return 1;
        }
        await cx.Out.WriteLineAsync(request.Parsable ? id : $"Submitted batch job {id}");
        await cx.Out.FlushAsync();
        if (!request.Wait) return 0;
        return await WaitAsync(client, id, request.Follow, cx);
    }

    private static async Task<int> WaitAsync(ApiClient client, string id, bool follow, CliContext cx)
    {
        try
        {
            if (follow)
                await new LogStream(client, id, "stdout").FollowAsync(0, line => cx.Out.WriteLine(line), n => cx.Error.WriteLine($"sbatch: {n}"), cx.Cancel);
            var job = await JobWaiter.WaitAsync(client, id, null, cx.Clock, cx.Cancel);
            var code = JobWaiter.ExitCodeOf(job);
            if (code != 0) await cx.Error.WriteLineAsync($"sbatch: error: Batch job {id} ended {job.State} with exit code {job.SlurmExitCode()}");
            return code;
        }
        catch (Exception e) when (e is ApiException or CliException)
        {
            await cx.Error.WriteLineAsync($"sbatch: error: {e.Message}");
            return e is CliException c ? c.ExitCode : 1;
        }
    }

    private static string Help(bool usageOnly)
    {
        if (usageOnly) return "Usage: sbatch [OPTIONS] script [args...]   or   sbatch [OPTIONS] --wrap=\"command\"\n";
        var lines = SbatchOptions.Table.Select(o => $"  {o.Spelling}{(o.Arg == ArgKind.Required ? "=VALUE" : o.Arg == ArgKind.Optional ? "[=VALUE]" : ""),-10} {o.Help}");
        return "Usage: sbatch [OPTIONS] script [args...]\n\n" + string.Join('\n', lines) + "\n";
    }
}
