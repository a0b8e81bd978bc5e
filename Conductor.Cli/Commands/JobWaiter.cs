using Conductor.Cli.Api;
using Conductor.Cli.Config;

namespace Conductor.Cli.Commands;

/// <summary>
/// Waits for jobs to end by asking the API, riding out an API restart (no answer for a while is
/// not an end), and gives the exit code a shell would: the job's own for COMPLETED/FAILED, and 1
/// for a job that ended without one (cancelled before it ran).
/// </summary>
internal static class JobWaiter
{
    public const int TimeoutExitCode = 124;

    public static async Task<JobInfo> WaitAsync(ApiClient client, string id, DateTimeOffset? deadline, TimeProvider clock, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        var reached = false;
        while (true)
        {
            try
            {
                var job = JobInfo.From(await client.GetAsync($"jobs/query/{Uri.EscapeDataString(id)}", ct));
                reached = true;
                if (job.IsTerminal) return job;
            }
            catch (ApiUnreachableException e)
            {
                // Once it has answered, the API may be restarting; the job goes on regardless: keep asking
                // until the deadline. An API that never answered is a wrong URL or a stopped service.
                if (!reached) throw new CliException(e.Message);
            }
            if (deadline is { } d && clock.GetUtcNow() >= d)
                throw new CliException($"timed out waiting for job {id}", TimeoutExitCode);
            await Task.Delay(delay, ct);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 1.5, 2000));
        }
    }

    public static int ExitCodeOf(JobInfo job) => job.State == "COMPLETED" ? job.ShellExitCode() ?? 0 : job.ShellExitCode() is { } c && c != 0 ? c : 1;
}
