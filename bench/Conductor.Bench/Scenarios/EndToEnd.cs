using System.Diagnostics;

namespace Conductor.Bench.Scenarios;

/// <summary>Scenario 1: N jobs of `true`, 1 core each, submitted as fast as the client can; first submit to last finish.</summary>
public static class EndToEnd
{
    /// <returns>jobs per second, and the CPU milliseconds per job each part of the stack spent.</returns>
    public static async Task<(double PerSecond, Dictionary<string, double> CpuMsPerJob)> RunAsync(int jobs)
    {
        await using var stack = await Stack.StartAsync();
        var cpu = CpuMeter.Start(stack);
        var sw = Stopwatch.StartNew();
        var submitting = Submitter.SubmitAsync(stack.Http, jobs, 8, "true");
        await stack.WaitAsync(async () => await stack.ScalarAsync("SELECT count(*) FROM jobs WHERE end_time IS NOT NULL") >= jobs,
            $"{jobs} jobs finish", 600);
        var elapsed = sw.Elapsed.TotalSeconds;
        var spent = cpu.Stop().ToDictionary(kv => kv.Key, kv => kv.Value / jobs);
        await submitting;
        var completed = await stack.ScalarAsync("SELECT count(*) FROM jobs WHERE state = 'COMPLETED'");
        if (completed != jobs) throw new InvalidOperationException($"only {completed} of {jobs} jobs COMPLETED");
        return (jobs / elapsed, spent);
    }
}
