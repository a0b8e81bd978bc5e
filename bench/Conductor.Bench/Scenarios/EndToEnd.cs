using System.Net.Http.Json;
using System.Diagnostics;

namespace Conductor.Bench.Scenarios;

/// <summary>
/// Scenario 1: N jobs of `true`, 1 core each, submitted as fast as the client can; first submit to
/// last finish. Two clients: 8 concurrent single submits (one HTTP request per job, as a script
/// calling sbatch in a loop), or one bulk submit of all N (as a job array, sbatch --array).
/// </summary>
public static class EndToEnd
{
    /// <returns>jobs per second, and what the run cost per job (CPU by part, PostgreSQL, runtime counters).</returns>
    public static async Task<(double PerSecond, RunCost Cost)> RunAsync(int jobs, bool bulk = false)
    {
        await using var stack = await Stack.StartAsync();
        const int warmUp = 300;
        await stack.WarmUpAsync(warmUp);
        await using var measurement = await Measurement.StartAsync(stack);
        var started = DateTime.UtcNow;
        var sw = Stopwatch.StartNew();
        var submitting = bulk ? BulkAsync(stack.Http, jobs) : Submitter.SubmitAsync(stack.Http, jobs, 8, "true");
        // The check must cost the stack next to nothing: an index probe for any unfinished job,
        // not a count over the table every 20 ms, which took a good share of a core from
        // PostgreSQL, and every 100 ms (each probe cost PostgreSQL about 0.4 ms). When the last
        // job ended is read from its end_time afterwards, so how often it looks does not change
        // the figure.
        await stack.WaitAsync(async () => submitting.IsCompleted && await stack.UnfinishedAsync() == 0, $"{jobs} jobs finish", 600, pollMs: 100);
        var cost = await measurement.StopAsync(jobs);
        await submitting;
        var lastEnd = await stack.ScalarAsync("SELECT (extract(epoch FROM max(end_time)) * 1000000)::bigint FROM jobs");
        var elapsed = (DateTime.UnixEpoch.AddTicks(lastEnd * 10) - started).TotalSeconds;
        if (elapsed <= 0 || elapsed > sw.Elapsed.TotalSeconds) throw new InvalidOperationException($"the last end_time is {elapsed:F3} s after the first submit");
        var completed = await stack.ScalarAsync("SELECT count(*) FROM jobs WHERE state = 'COMPLETED'");
        if (completed != warmUp + jobs) throw new InvalidOperationException($"only {completed - warmUp} of {jobs} jobs COMPLETED");
        return (jobs / elapsed, cost);
    }

    private static async Task BulkAsync(HttpClient http, int jobs)
    {
        var body = Enumerable.Range(0, jobs).Select(_ => new { job = new { cpus_per_task = 1 }, script = "true" }).ToArray();
        using var response = await http.PostAsJsonAsync("/jobs/submit/bulk", body);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"bulk submit failed: {response.StatusCode}");
    }
}
