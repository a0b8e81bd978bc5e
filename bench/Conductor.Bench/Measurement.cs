namespace Conductor.Bench;

/// <summary>What a measured run cost, per job: CPU by part, PostgreSQL's work, each service's runtime counters and thread wake-ups.</summary>
public sealed record RunCost(Dictionary<string, double> CpuMsPerJob, PgReport Pg,
    Dictionary<string, Dictionary<string, double>> RuntimePerJob, Dictionary<string, double> WakeupsPerJob);

/// <summary>
/// Brackets a measured run: EventPipe sessions on the API and the worker, PostgreSQL snapshots
/// (each taken once the statistics have settled, <see cref="PgSnapshot.SettleAsync"/>), thread
/// wake-ups, and CPU (<see cref="CpuMeter"/>, which starts last and stops first, so the
/// snapshots' own queries and waits are not charged to the run).
/// </summary>
public sealed class Measurement : IAsyncDisposable
{
    private readonly Stack _stack;
    private readonly Dictionary<string, RuntimeCounters> _counters = [];
    private PgSnapshot _pg = null!;
    private Dictionary<string, Dictionary<int, long>> _wakeups = [];
    private CpuMeter _cpu = null!;

    private Measurement(Stack stack) => _stack = stack;

    public static async Task<Measurement> StartAsync(Stack stack)
    {
        var m = new Measurement(stack);
        // BENCH_EVENTPIPE=0 leaves the sessions out, to see what they cost the services themselves.
        if (Environment.GetEnvironmentVariable("BENCH_EVENTPIPE") != "0")
            foreach (var (part, process) in new[] { ("api", stack.Api), ("worker", stack.Worker) })
                if (RuntimeCounters.TryStart(process) is { } counters) m._counters[part] = counters;
        await PgSnapshot.SettleAsync();
        m._pg = await PgSnapshot.TakeAsync(stack);
        m._wakeups = Wakeups(stack);
        foreach (var c in m._counters.Values) c.MarkStart();
        m._cpu = CpuMeter.Start(stack);
        return m;
    }

    public async Task<RunCost> StopAsync(int jobs)
    {
        var cpu = _cpu.Stop().ToDictionary(kv => kv.Key, kv => kv.Value / jobs);
        foreach (var c in _counters.Values) c.MarkEnd();
        var wakeups = Wakeups(_stack).ToDictionary(kv => kv.Key, kv => (double)ThreadWakeups.Since(_wakeups.GetValueOrDefault(kv.Key) ?? [], kv.Value) / jobs);
        await PgSnapshot.SettleAsync();
        var pg = PgReport.Diff(_pg, await PgSnapshot.TakeAsync(_stack), jobs);
        var runtime = _counters.ToDictionary(kv => kv.Key, kv => kv.Value.Totals().ToDictionary(t => t.Key, t => t.Value / jobs));
        return new(cpu, pg, runtime, wakeups);
    }

    /// <summary>Switches by thread of the API, the worker and its spawners (the worker's live children; thread ids are machine-wide).</summary>
    private static Dictionary<string, Dictionary<int, long>> Wakeups(Stack stack)
    {
        var result = new Dictionary<string, Dictionary<int, long>>();
        if (stack.Api is { HasExited: false } api) result["api"] = ThreadWakeups.Read(api.Id);
        if (stack.Worker is { HasExited: false } worker)
        {
            result["worker"] = ThreadWakeups.Read(worker.Id);
            result["spawner"] = CpuMeter.LiveChildren(worker.Id).SelectMany(p => ThreadWakeups.Read(p)).ToDictionary();
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _counters.Values) await c.DisposeAsync();
    }
}
