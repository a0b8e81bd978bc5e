using System.Diagnostics;

namespace Conductor.Bench.Scenarios;

/// <summary>
/// The hard limit for trivial jobs on this machine: `bash -c true` started and reaped as fast as
/// possible, as many at once as the node has cores.
/// </summary>
public static class Ceiling
{
    public static async Task<double> MeasureAsync(int total)
    {
        var parallel = Environment.ProcessorCount;
        var next = 0;
        var sw = Stopwatch.StartNew();
        var lanes = Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= total)
            {
                using var p = Process.Start(new ProcessStartInfo("bash", ["-c", "true"]) { UseShellExecute = false })!;
                await p.WaitForExitAsync();
            }
        }));
        await Task.WhenAll(lanes);
        return total / sw.Elapsed.TotalSeconds;
    }
}
