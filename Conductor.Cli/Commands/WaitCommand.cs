using System.CommandLine;
using Conductor.Cli.Api;
using Conductor.Cli.Config;

namespace Conductor.Cli.Commands;

/// <summary>
/// <c>conductor wait ID... [--timeout SECONDS]</c>: returns when every job has ended, with the
/// first non-zero exit code among them (in the order given), 0 if all succeeded, 124 on timeout.
/// </summary>
internal static class WaitCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var ids = new Argument<string[]>("job-id") { Arity = ArgumentArity.OneOrMore, Description = "the jobs to wait for" };
        var timeout = new Option<double?>("--timeout") { Description = "give up after this many seconds (exit code 124)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "print nothing" };
        var command = new Command("wait", "wait for jobs to end; exit with the job's exit code") { ids, timeout, quiet };
        command.SetAction((p, _) => RunAsync(p.GetValue(ids)!, p.GetValue(timeout), p.GetValue(quiet), context(p)));
        return command;
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> ids, double? timeoutSeconds, bool quiet, CliContext cx)
    {
        if (timeoutSeconds is < 0) throw new CliException("--timeout must be a number of seconds, 0 or more");
        var deadline = timeoutSeconds is { } t ? cx.Clock.GetUtcNow().AddSeconds(t) : (DateTimeOffset?)null;
        using var client = cx.Client();
        var result = 0;
        foreach (var id in ids)
        {
            JobInfo job;
            try
            {
                job = await JobWaiter.WaitAsync(client, id, deadline, cx.Clock, cx.Cancel);
            }
            catch (ApiException e)
            {
                throw new CliException(e.Message);
            }
            var code = JobWaiter.ExitCodeOf(job);
            if (!quiet) await cx.Out.WriteLineAsync($"{job.JobId} {job.State} {job.SlurmExitCode()}");
            if (result == 0) result = code;
        }
        return result;
    }
}
