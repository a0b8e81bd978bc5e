using System.CommandLine;
using System.Text.Json;
using Conductor.Cli.Api;
using Conductor.Cli.Config;

namespace Conductor.Cli.Commands;

/// <summary>
/// <c>conductor logs [-f] [--stderr] ID</c>: the job's whole output, paged from the API; with
/// <c>-f</c> it follows the output live until the job ends, resuming where it was after a dropped
/// connection or an API restart, and exits with the job's code.
/// </summary>
internal static class LogsCommand
{
    public static Command Create(Func<ParseResult, CliContext> context)
    {
        var id = new Argument<string>("job-id") { Description = "the job's id" };
        var follow = new Option<bool>("--follow", "-f") { Description = "follow the output until the job ends; exit with its code" };
        var stderr = new Option<bool>("--stderr") { Description = "standard error instead of standard output" };
        var command = new Command("logs", "print a job's output") { id, follow, stderr };
        command.SetAction((p, _) => RunAsync(p.GetValue(id)!, p.GetValue(follow), p.GetValue(stderr) ? "stderr" : "stdout", context(p)));
        return command;
    }

    public static async Task<int> RunAsync(string id, bool follow, string stream, CliContext cx)
    {
        using var client = cx.Client();
        try
        {
            if (!follow) return await PrintAllAsync(client, id, stream, cx);
            var end = await new LogStream(client, id, stream).FollowAsync(0, cx.Out.WriteLine, n => cx.Error.WriteLine($"conductor: {n}"), cx.Cancel);
            await cx.Out.FlushAsync();
            var job = await JobWaiter.WaitAsync(client, id, null, cx.Clock, cx.Cancel);
            return end.ValueKind == JsonValueKind.Object ? JobWaiter.ExitCodeOf(job) : 0;
        }
        catch (Exception e) when (e is ApiException or ApiUnreachableException)
        {
            throw new CliException(e.Message);
        }
    }

    private static async Task<int> PrintAllAsync(ApiClient client, string id, string stream, CliContext cx)
    {
        long offset = 0;
        while (true)
        {
            var page = await client.GetAsync($"jobs/{Uri.EscapeDataString(id)}/logs?stream={stream}&offset={offset}&limit=1048576", cx.Cancel);
            await cx.Out.WriteAsync(page.GetProperty("content").GetString());
            if (page.TryGetProperty("withheld", out var w) && w.ValueKind == JsonValueKind.String)
                await cx.Error.WriteLineAsync($"conductor: {w.GetString()}");
            var next = page.GetProperty("next_offset").GetInt64();
            if (next <= offset || page.GetProperty("eof").GetBoolean()) return 0;
            offset = next;
        }
    }
}
