using System.Diagnostics;
using System.Net.Http.Json;

namespace Conductor.Bench.Scenarios;

/// <summary>Scenario 2: submits from 8 concurrent clients with no worker running, and one bulk submit.</summary>
public static class Submission
{
    /// <returns>submits per second, latency percentiles, and the CPU milliseconds per submit of the API and of PostgreSQL.</returns>
    public static async Task<(double PerSecond, double P99Ms, double P50Ms, double ApiCpuMs, double PostgresCpuMs)> SingleAsync(int total)
    {
        await using var stack = await Stack.StartAsync(worker: false);
        await WarmUpAsync(stack);
        var cpu = CpuMeter.Start(stack);
        var sw = Stopwatch.StartNew();
        var (_, latencies) = await Submitter.SubmitAsync(stack.Http, total, 8, "true");
        var rate = total / sw.Elapsed.TotalSeconds;
        var spent = cpu.Stop();
        return (rate, Stats.Percentile(latencies, 99), Stats.Median(latencies),
            spent.GetValueOrDefault("api") / total, spent.GetValueOrDefault("postgres") / total);
    }

    /// <summary>
    /// Brings the API to the state of a long-lived one: pools open and its hot code re-compiled
    /// at tier 1 (the runtime does that in the background for every method called 30 times,
    /// ReadyToRun code included). Measured on 2 cores: after the former warm-up of 200 submits
    /// that background compilation took about half of the API's CPU for the next 5-7 seconds,
    /// i.e. through most of the measured window (API CPU per submit about 620 us there against
    /// about 380 us once it is done). So: enough submits for every method of the path to be
    /// counted, then wait until the API is idle, i.e. the compilation has finished.
    /// </summary>
    private static async Task WarmUpAsync(Stack stack)
    {
        await Submitter.SubmitAsync(stack.Http, 2000, 8, "true");
        await Stack.WaitUntilIdleAsync(stack.Api!);
    }

    /// <returns>seconds for one bulk call of <paramref name="total"/> jobs, or null when the API has no bulk endpoint.</returns>
    public static async Task<double?> BulkAsync(int total)
    {
        await using var stack = await Stack.StartAsync(worker: false);
        var body = Enumerable.Range(0, total).Select(i => new { job = new { name = $"bulk-{i}" }, script = "true" }).ToArray();
        var warm = await stack.Http.PostAsJsonAsync("/jobs/submit/bulk", body.Take(10).ToArray());
        if (warm.StatusCode == System.Net.HttpStatusCode.NotFound || warm.StatusCode == System.Net.HttpStatusCode.MethodNotAllowed) return null;
        var sw = Stopwatch.StartNew();
        var response = await stack.Http.PostAsJsonAsync("/jobs/submit/bulk", body);
        var seconds = sw.Elapsed.TotalSeconds;
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"bulk submit failed: {response.StatusCode}");
        return seconds;
    }
}
