using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Conductor.Bench;
using Conductor.Bench.Scenarios;

// Runs every scenario of the benchmark suite against the real services and writes bench/results.json.
// Usage: scripts/bench.sh [--quick] [--only 1,3]
//   --quick: smaller sizes, one run each, for a smoke test
//   --only:  run just these scenarios (numbers 1-7; the ceiling always runs with 1); the results
//            file is then bench/results-partial.json, so a partial run never replaces a full one
var quick = args.Contains("--quick");
var onlyAt = Array.IndexOf(args, "--only");
var only = onlyAt >= 0 && onlyAt + 1 < args.Length
    ? args[onlyAt + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet()
    : null;
bool Runs(string scenario) => only is null || only.Contains(scenario);
var runs = quick ? 1 : 3;
var figures = new List<Figure>();
void Add(Figure f)
{
    figures.Add(f);
    var met = f.Met is null ? "" : f.Met.Value ? "  met" : "  MISSED";
    Console.WriteLine($"{f.Scenario,-22} {f.Name,-34} {f.Value,12:0.##} {f.Unit,-8} target {f.Target}{met}");
}
async Task<List<double>> Repeat(Func<Task<double>> run)
{
    var values = new List<double>();
    for (var i = 0; i < runs; i++) values.Add(await run());
    return values;
}

// pg_stat_statements' breakdown of each measured run, by scenario (results.json "postgres_statements").
var statementBreakdown = new Dictionary<string, object>();
var e2eJobs = quick ? 300 : 2000;
if (Runs("1"))
{
    // The machine is shared and its speed drifts over minutes (the ceiling moved 168-204 /s within
    // one run). Each end-to-end run is therefore paired with a ceiling measured right next to it
    // (before the 8-client run, after the bulk run), and the ratio is the median of the pairs'.
    var ceiling = new List<double>();
    var e2e = new List<double>();
    var e2eBulk = new List<double>();
    var ratios = new List<double>();
    var bulkRatios = new List<double>();
    var singleCosts = new List<RunCost>();
    var bulkCosts = new List<RunCost>();
    for (var i = 0; i < runs; i++)
    {
        var before = await Ceiling.MeasureAsync(e2eJobs);
        var (rate, cost) = await EndToEnd.RunAsync(e2eJobs);
        var (bulkRate, bulkCost) = await EndToEnd.RunAsync(e2eJobs, bulk: true);
        var after = await Ceiling.MeasureAsync(e2eJobs);
        ceiling.AddRange([before, after]);
        e2e.Add(rate);
        e2eBulk.Add(bulkRate);
        ratios.Add(rate / before);
        bulkRatios.Add(bulkRate / after);
        singleCosts.Add(cost);
        bulkCosts.Add(bulkCost);
    }
    Add(new("ceiling", "bash -c true, parallel=cores", Stats.Median(ceiling), "proc/s", "-", null, ceiling));
    var ratio = Stats.Median(ratios);
    Add(new("1 end-to-end", $"{e2eJobs} x true, 1 core, 2-core node", Stats.Median(e2e), "jobs/s", "-", null, e2e));
    Add(new("1 end-to-end", "ratio to ceiling (paired runs)", ratio * 100, "%", ">= 60 %", ratio >= 0.6, [.. ratios.Select(r => r * 100)]));
    // Where the time goes: CPU per job of each part (two cores give 2,000 ms of CPU per second).
    foreach (var part in singleCosts.SelectMany(c => c.CpuMsPerJob.Keys).Distinct())
    {
        var values = singleCosts.Select(c => c.CpuMsPerJob.GetValueOrDefault(part)).ToList();
        Add(new("1 end-to-end", $"CPU per job: {part}", Stats.Median(values), "ms", "-", null, values));
    }
    // Conductor's own cost: every part but the jobs themselves and the benchmark client.
    foreach (var (mode, costs) in new[] { ("single submits", singleCosts), ("bulk submit", bulkCosts) })
    {
        var own = costs.Select(c => c.CpuMsPerJob.Where(kv => kv.Key is not ("jobs" or "client")).Sum(kv => kv.Value)).ToList();
        Add(new("1 end-to-end", $"Conductor's CPU per job, {mode}", Stats.Median(own), "ms", "<= 1.5", Stats.Median(own) <= 1.5, own));
    }
    var bulkRatio = Stats.Median(bulkRatios);
    Add(new("1 end-to-end", $"same, one bulk submit of {e2eJobs}", Stats.Median(e2eBulk), "jobs/s", "-", null, e2eBulk));
    Add(new("1 end-to-end", "ratio to ceiling, bulk submit (paired)", bulkRatio * 100, "%", ">= 60 %", bulkRatio >= 0.6, [.. bulkRatios.Select(r => r * 100)]));
    // What each job costs, by part and by kind of work: PostgreSQL's statements, WAL and
    // fsyncs; the services' allocations, GCs and thread wake-ups.
    foreach (var (mode, costs) in new[] { ("single", singleCosts), ("bulk", bulkCosts) })
    {
        foreach (var f in CostFigures.From("1 cost per job", mode, costs).Where(f => mode == "bulk" || !f.Name.Contains("CPU per job"))) Add(f);
        costs[^1].Pg.Print($"1 {mode} submits, last run");
        statementBreakdown[$"1 end-to-end, {mode}"] = CostFigures.Statements(costs);
    }
}

if (Runs("2"))
{
    var submits = quick ? 2000 : 10000;
    var single = new List<(double Rate, double P99, double P50, double ApiCpu, double PostgresCpu)>();
    for (var i = 0; i < runs; i++) single.Add(await Submission.SingleAsync(submits));
    Add(new("2 submission", $"{submits} submits, 8 clients", Stats.Median(single.Select(s => s.Rate).ToList()), "submit/s", ">= 2000", Stats.Median(single.Select(s => s.Rate).ToList()) >= 2000));
    Add(new("2 submission", "p99 latency", Stats.Median(single.Select(s => s.P99).ToList()), "ms", "< 25", Stats.Median(single.Select(s => s.P99).ToList()) < 25));
    Add(new("2 submission", "p50 latency", Stats.Median(single.Select(s => s.P50).ToList()), "ms", "-", null));
    Add(new("2 submission", "CPU per submit: api", Stats.Median(single.Select(s => s.ApiCpu).ToList()), "ms", "-", null));
    Add(new("2 submission", "CPU per submit: postgres", Stats.Median(single.Select(s => s.PostgresCpu).ToList()), "ms", "-", null));
    var bulk = await Submission.BulkAsync(submits);
    if (bulk is { } b) Add(new("2 submission", $"bulk submit of {submits}", b, "s", "< 2", b < 2));
    else Add(new("2 submission", "bulk submit (endpoint missing)", double.NaN, "s", "< 2", false));
}

if (Runs("3"))
{
    var samples = quick ? 30 : 200;
    var withRedis = await DispatchLatency.RunAsync(samples, redis: true);
    Add(new("3 dispatch latency", "p50 with Redis", Stats.Median(withRedis), "ms", "< 5", Stats.Median(withRedis) < 5));
    Add(new("3 dispatch latency", "p99 with Redis", Stats.Percentile(withRedis, 99), "ms", "< 20", Stats.Percentile(withRedis, 99) < 20));
    // The same without memory enforcement: the spawning thread enters the job's cgroups by writing
    // "0" to their tasks files (no RCU grace period on that path), so what memory enforcement
    // still costs is posix_spawn running inside a memory cgroup (charged page tables, ~0.6 ms).
    var noCgroup = await DispatchLatency.RunAsync(samples, redis: true, enforceMemory: false);
    Add(new("3 dispatch latency", "p50 with Redis, EnforceMemory=false", Stats.Median(noCgroup), "ms", "-", null));
    Add(new("3 dispatch latency", "p99 with Redis, EnforceMemory=false", Stats.Percentile(noCgroup, 99), "ms", "-", null));
    var noRedis = await DispatchLatency.RunAsync(quick ? 10 : 40, redis: false);
    Add(new("3 dispatch latency", "p50 without Redis (poll 1 s)", Stats.Median(noRedis), "ms", "<= 1000 (poll interval)", Stats.Median(noRedis) <= 1000));
}

if (Runs("4"))
{
    var orphans = await Repeat(() => Recovery.OrphansAsync(quick ? 1000 : 10000));
    Add(new("4 recovery", $"{(quick ? 1000 : 10000)} orphans -> FAILED, cores released", Stats.Median(orphans), "s", "< 5", Stats.Median(orphans) < 5, orphans));
    var live = await Recovery.LiveAsync(quick ? 200 : 1000);
    Add(new("4 recovery", $"{(quick ? 200 : 1000)} live jobs re-adopted", live.Seconds, "s", "< 2", live.Seconds < 2));
    Add(new("4 recovery", "worker RSS while watching them", live.WorkerRssMb, "MB", "< 150", live.WorkerRssMb < 150));
}

string? claimPlan = null;
if (Runs("5"))
{
    var scale = await Scale.RunAsync(quick ? 100_000 : 1_000_000, quick ? 10_000 : 100_000);
    Add(new("5 scale", "query by id p99", scale.QueryP99Ms, "ms", "< 5", scale.QueryP99Ms < 5));
    Add(new("5 scale", "list first page p50", scale.ListP50Ms, "ms", "< 20", scale.ListP50Ms < 20));
    Add(new("5 scale", "list first page p99", scale.ListP99Ms, "ms", "-", null));
    Add(new("5 scale", "claim, big table (median)", scale.ClaimBigMs, "ms", "<= small x1.5", scale.ClaimBigMs <= scale.ClaimSmallMs * 1.5));
    Add(new("5 scale", "claim, small table (median)", scale.ClaimSmallMs, "ms", "-", null));
    Add(new("5 scale", "API RSS", scale.ApiRssMb, "MB", "< 200", scale.ApiRssMb < 200));
    Console.WriteLine($"claim plan: {scale.ClaimPlan}");
    claimPlan = scale.ClaimPlan;
}

if (Runs("6"))
{
    // Many nodes against one PostgreSQL (docs/scaling.md): simulated agents, the worker's real statements.
    var pendingJobs = quick ? 20_000 : 100_000;
    var seconds = quick ? 8 : 20;
    foreach (var nodes in new[] { 10, 100, 1000 })
    {
        var r = await ManyNodes.RunAsync(nodes, pendingJobs, TimeSpan.FromSeconds(seconds));
        var name = $"{nodes} nodes x {ManyNodes.CoresPerNode} cores";
        Add(new("6 many nodes", $"{name}: claims", r.ClaimsPerSecond, "claim/s", "-", null));
        Add(new("6 many nodes", $"{name}: jobs claimed", r.JobsPerSecond, "jobs/s", "-", null));
        Add(new("6 many nodes", $"{name}: claim p50", r.P50Ms, "ms", "-", null));
        Add(new("6 many nodes", $"{name}: claim p99", r.P99Ms, "ms", "-", null));
        Add(new("6 many nodes", $"{name}: PG CPU per claim", r.PostgresCpuMsPerClaim, "ms", "-", null));
        Add(new("6 many nodes", $"{name}: lock waiters (mean)", r.LockWaitingMean, "backends", "-", null));
        Add(new("6 many nodes", $"{name}: lock waiters (max)", r.LockWaitingMax, "backends", "-", null));
        Add(new("6 many nodes", $"{name}: deadlocks", r.Deadlocks, "", "0", r.Deadlocks == 0));
        Add(new("6 many nodes", $"{name}: heartbeats", r.HeartbeatsPerSecond, "beat/s", "-", null));
        Console.WriteLine($"  lock waits by event: {string.Join(", ", ManyNodes.WaitEvents.OrderByDescending(e => e.Value).Select(e => $"{e.Key} {e.Value}"))}");
    }
}

// Two rounds (each runs the reference depth twice) keep it near 10 minutes at full size.
if (Runs("7"))
    foreach (var f in await DeepQueue.MeasureAsync(quick, quick ? 1 : 2, statementBreakdown)) Add(f);

var results = new
{
    date = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
    quick,
    only = only?.Order().ToArray(),
    runs,
    machine = new
    {
        cores = Environment.ProcessorCount,
        memory_mb = File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] is var kb ? long.Parse(kb) / 1024 : 0,
        os = RuntimeInformation.OSDescription,
        dotnet = RuntimeInformation.FrameworkDescription,
    },
    claim_plan = claimPlan,
    postgres_statements = statementBreakdown,
    figures = figures.Select(f => new { scenario = f.Scenario, name = f.Name, value = double.IsNaN(f.Value) ? (double?)null : Math.Round(f.Value, 3), unit = f.Unit, target = f.Target, met = f.Met, runs = f.Runs }),
};
var path = Path.Combine(Stack.Root, "bench", only is not null ? "results-partial.json" : quick ? "results-quick.json" : "results.json");
await File.WriteAllTextAsync(path, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"wrote {path}");
