using System.Diagnostics;

namespace Conductor.Bench.Scenarios;

/// <summary>
/// Scenario 4: a node holds N RUNNING jobs; the worker starts. Orphans: every process is gone
/// (no exit status) → all FAILED Orphaned and cores released. Live: every process still runs
/// → all re-adopted. Timed from the worker process start.
/// </summary>
public static class Recovery
{
    public static async Task<double> OrphansAsync(int jobs)
    {
        await using var stack = await Stack.StartAsync(worker: false);
        var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        await Seed.NodeAsync(stack.Db, "bench-node", Guid.NewGuid(), boot);
        // pid_max is 4194304 on 64-bit Linux; these pids, with start tick 1, are nobody's.
        var pids = Enumerable.Range(0, jobs).Select(i => 3_000_000 + i).ToArray();
        await Seed.RunningAsync(stack.Db, "bench-node", pids, pids.Select(_ => 1L).ToArray(), boot);
        var sw = Stopwatch.StartNew();
        await stack.StartWorkerAsync();
        await stack.WaitAsync(async () =>
            await stack.ScalarAsync("SELECT count(*) FROM jobs WHERE state = 'RUNNING'") == 0 &&
            await stack.ScalarAsync("SELECT count(*) FROM allocations WHERE released_at IS NULL") == 0, "all orphans settle", 600);
        var seconds = sw.Elapsed.TotalSeconds;
        var orphaned = await stack.ScalarAsync("SELECT count(*) FROM jobs WHERE reason = 'Orphaned'");
        if (orphaned != jobs) throw new InvalidOperationException($"{orphaned} of {jobs} orphaned");
        return seconds;
    }

    public static async Task<(double Seconds, double WorkerRssMb)> LiveAsync(int jobs)
    {
        await using var stack = await Stack.StartAsync(worker: false);
        var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        await Seed.NodeAsync(stack.Db, "bench-node", Guid.NewGuid(), boot);
        var sleepers = Enumerable.Range(0, jobs).Select(_ => Process.Start(new ProcessStartInfo("sleep", ["600"]))!).ToList();
        try
        {
            var ticks = sleepers.Select(p => StartTicks(p.Id)).ToArray();
            await Seed.RunningAsync(stack.Db, "bench-node", sleepers.Select(p => p.Id).ToArray(), ticks, boot);
            var sw = Stopwatch.StartNew();
            await stack.StartWorkerAsync(new() { ["LOG_LEVEL"] = "Information" });
            await stack.WaitAsync(() => Task.FromResult(stack.WorkerLog.Any(l => l.Contains("Recovery of bench-node", StringComparison.Ordinal))),
                "recovery finishes", 600);
            var seconds = sw.Elapsed.TotalSeconds;
            var summary = stack.WorkerLog.First(l => l.Contains("Recovery of bench-node", StringComparison.Ordinal));
            if (!summary.Contains($"adopted {jobs}", StringComparison.Ordinal)) throw new InvalidOperationException(summary);
            return (seconds, Stack.RssMb(stack.Worker!));
        }
        finally
        {
            foreach (var p in sleepers) p.Kill();
        }
    }

    private static long StartTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19]);
    }
}
