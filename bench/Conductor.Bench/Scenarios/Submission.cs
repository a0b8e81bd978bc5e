using System.Diagnostics;
using System.Net.Http.Json;

namespace Conductor.Bench.Scenarios;

/// <summary>Scenario 2: submits from 8 concurrent clients with no worker running, and one bulk submit.</summary>
public static class Submission
{
    public static async Task<(double PerSecond, double P99Ms, double P50Ms)> SingleAsync(int total)
    {
        await using var stack = await Stack.StartAsync(worker: false);
        await Submitter.SubmitAsync(stack.Http, 200, 8, "true"); // warm-up: JIT, pools
        var sw = Stopwatch.StartNew();
        var (_, latencies) = await Submitter.SubmitAsync(stack.Http, total, 8, "true");
        var rate = total / sw.Elapsed.TotalSeconds;
        return (rate, Stats.Percentile(latencies, 99), Stats.Median(latencies));
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
