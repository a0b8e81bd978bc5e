using System.Diagnostics;
using System.Net.Http.Json;

namespace Conductor.Bench.Scenarios;

/// <summary>One deep-queue run: the rate, what the seeding took, and PostgreSQL's cost per job and per claim.</summary>
public sealed record DeepQueueResult(int Depth, double PerSecond, double SeedSeconds, double PostgresCpuMsPerJob,
    double StatementMsPerJob, double ClaimSelectMsPerCall, double ClaimSelectCallsPerJob, double ClaimMoveMsPerCall,
    Dictionary<string, double> CpuMsPerJob, List<PgTopStatement> Statements);

/// <summary>
/// Scenario 7: <c>measured</c> jobs of `true` run end to end while <c>depth</c> other PENDING jobs
/// wait behind them. The backlog is ordinary: submitted through the API's bulk endpoint (chunks of
/// 10,000, what a job array or a night's scripts would insert), runnable, same partition, same
/// priority, and the worker claims them as it claims any job. The partition is paused while
/// they are submitted (so the queue is whole before the worker starts on it) and resumed to
/// measure; the first <see cref="LeadIn"/> completions let the worker reach its pace and are not
/// measured. Measured: the completions of the next <c>measured</c> jobs in claim order (queue
/// depth from depth + measured down to depth), from their end times; CPU over the same window;
/// the claim's statements from pg_stat_statements. The queue is vacuumed and analysed once
/// submitted (as autovacuum would have done to a queue that sat); the deepest one is also
/// measured without, drained right after its submit.
/// </summary>
public static class DeepQueue
{
    public const int LeadIn = 100;
    private const int Chunk = 10_000;

    /// <summary>
    /// Every depth, <paramref name="rounds"/> rounds: the figures, and each run's statements into
    /// <paramref name="breakdown"/>. The depths of one round run back to back and the ratios are
    /// taken within a round (the machine's speed drifts over minutes), then the median. The
    /// reference depth (100) runs first and again last in each round, its rate the mean of the
    /// two: the first stack of a round ran slower in trial runs.
    /// </summary>
    public static async Task<List<Figure>> MeasureAsync(bool quick, int rounds, Dictionary<string, object> breakdown)
    {
        var measured = quick ? 300 : 2000;
        int[] depths = quick ? [100, 1_000, 10_000] : [100, 1_000, 10_000, 100_000];
        var results = new List<Dictionary<int, DeepQueueResult>>();
        var referenceRuns = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var round = new Dictionary<int, DeepQueueResult>();
            foreach (var depth in depths) round[depth] = await RunAsync(depth, measured);
            round[-depths[^1]] = await RunAsync(depths[^1], measured, vacuum: false);
            var again = await RunAsync(depths[0], measured);
            referenceRuns.AddRange([round[depths[0]].PerSecond, again.PerSecond]);
            round[depths[0]] = round[depths[0]] with { PerSecond = (round[depths[0]].PerSecond + again.PerSecond) / 2 };
            results.Add(round);
        }
        var figures = new List<Figure>();
        // The deepest queue also drained right after its submit, unvacuumed (kept under its negated depth).
        foreach (var depth in depths.Append(-depths[^1]))
        {
            var name = depth > 0 ? $"{depth:N0} PENDING behind" : $"{-depth:N0} PENDING behind, not vacuumed";
            void Add(string what, Func<DeepQueueResult, double> value, string unit, string target = "-")
            {
                var values = results.Select(r => value(r[depth])).ToList();
                figures.Add(new("7 deep queue", $"{name}: {what}", Stats.Median(values), unit, target, null, values));
            }
            figures.Add(new("7 deep queue", $"{name}: {measured} x true", Stats.Median(results.Select(r => r[depth].PerSecond).ToList()),
                "jobs/s", "-", null, depth == depths[0] ? referenceRuns : results.Select(r => r[depth].PerSecond).ToList()));
            if (depth != depths[0])
            {
                var ratios = results.Select(r => 100 * r[depth].PerSecond / r[depths[0]].PerSecond).ToList();
                figures.Add(new("7 deep queue", $"{name}: rate / rate with {depths[0]}", Stats.Median(ratios), "%", ">= 90 %", Stats.Median(ratios) >= 90, ratios));
            }
            Add("PG CPU per job", r => r.PostgresCpuMsPerJob, "ms", "flat");
            Add("PG statement time per job", r => r.StatementMsPerJob, "ms", "flat");
            Add("claim select (SKIP LOCKED) per call", r => r.ClaimSelectMsPerCall, "ms", "flat");
            Add("claim selects per job", r => r.ClaimSelectCallsPerJob, "calls");
            Add("claim move (INSERT allocations) per call", r => r.ClaimMoveMsPerCall, "ms", "flat");
            Add("CPU per job: worker", r => r.CpuMsPerJob.GetValueOrDefault("worker"), "ms");
            Add("seeding by bulk API", r => r.SeedSeconds, "s");
            breakdown[$"7 deep queue, {name}"] = results.Select(r => CostFigures.StatementsJson(r[depth].Statements)).ToList();
        }
        PgReport.PrintStatements($"7 deep queue, {depths[^1]:N0} behind, last run: top statements by time (per job)", results[^1][depths[^1]].Statements);
        return figures;
    }

    public static async Task<DeepQueueResult> RunAsync(int depth, int measured, bool vacuum = true)
    {
        // The API's admission limits (100,000 PENDING per account, 5,000 submits/s) are lifted: a
        // site that queues this deep raises them, and they are not what is measured here.
        await using var stack = await Stack.StartAsync(apiEnv: new()
        {
            ["Conductor__Api__MaxPendingPerAccount"] = "0", ["Conductor__Api__SubmitRatePerSecond"] = "0",
        });
        var total = Stopwatch.StartNew();
        await stack.WarmUpAsync(300);
        var partition = await stack.TextAsync("SELECT partition FROM nodes LIMIT 1");
        await PauseAsync(stack, partition, true);
        var seeding = Stopwatch.StartNew();
        for (var left = LeadIn + measured + depth; left > 0; left -= Chunk)
            await BulkAsync(stack.Http, Math.Min(left, Chunk));
        var seedSeconds = seeding.Elapsed.TotalSeconds;
        // A queue that sat for a while has been vacuumed and analysed by autovacuum; the claim's
        // plan is measured on those statistics. Without (vacuum: false) is the queue drained right
        // after it was submitted, before autovacuum came by.
        if (vacuum) await stack.ExecuteAsync("VACUUM ANALYZE");
        var first = await NthInClaimOrderAsync(stack, LeadIn - 1);
        var last = await NthInClaimOrderAsync(stack, LeadIn + measured - 1);

        await PauseAsync(stack, partition, false);
        await WaitEndedAsync(stack, first, measured);
        var before = await PgSnapshot.TakeStatementsAsync(stack);
        var cpu = CpuMeter.Start(stack);
        await WaitEndedAsync(stack, last, measured);
        var spent = cpu.Stop().ToDictionary(kv => kv.Key, kv => kv.Value / measured);
        var after = await PgSnapshot.TakeStatementsAsync(stack);
        stack.KillWorker();

        var micros = await stack.ScalarAsync($"""
            {PgSnapshot.BenchTag} SELECT (extract(epoch FROM (SELECT end_time FROM jobs WHERE id = {last}) - (SELECT end_time FROM jobs WHERE id = {first})) * 1000000)::bigint
            """);
        var pg = PgReport.Diff(before, after, measured);
        var select = PgReport.Matching(before, after, measured, q => q.Contains("SKIP LOCKED", StringComparison.OrdinalIgnoreCase));
        var move = PgReport.Matching(before, after, measured, q => q.Contains("INSERT INTO allocations", StringComparison.OrdinalIgnoreCase));
        Console.WriteLine($"  7 deep queue, {depth:N0} behind{(vacuum ? "" : ", not vacuumed")}: {measured / (micros / 1e6):0.#} jobs/s, seeded in {seedSeconds:0.#} s, {total.Elapsed.TotalSeconds:0} s in all");
        return new(depth, measured / (micros / 1e6), seedSeconds, spent.GetValueOrDefault("postgres"), pg.ExecMsPerJob,
            select.MsPerCall, select.CallsPerJob, move.MsPerCall, spent, pg.Statements);
    }

    private static async Task PauseAsync(Stack stack, string partition, bool paused) =>
        await stack.ExecuteAsync($"""
            INSERT INTO partitions (name, paused, reason, updated_at) VALUES ('{partition}', {paused}, 'bench', now())
            ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at
            """);

    private static async Task BulkAsync(HttpClient http, int jobs)
    {
        var body = Enumerable.Range(0, jobs).Select(_ => new { job = new { cpus_per_task = 1 }, script = "true" }).ToArray();
        using var response = await http.PostAsJsonAsync("/jobs/submit/bulk", body);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"bulk submit failed: {response.StatusCode}");
    }

    /// <summary>The id of the n-th (0-based) PENDING job in the claim's order.</summary>
    private static Task<long> NthInClaimOrderAsync(Stack stack, int n) =>
        stack.ScalarAsync($"{PgSnapshot.BenchTag} SELECT id FROM jobs WHERE state = 'PENDING' ORDER BY priority DESC, id OFFSET {n} LIMIT 1");

    /// <summary>Until the job has ended: a primary-key probe every 50 ms (it costs PostgreSQL next to nothing).</summary>
    private static Task WaitEndedAsync(Stack stack, long id, int measured) =>
        stack.WaitAsync(async () => await stack.ScalarAsync($"{PgSnapshot.BenchTag} SELECT count(*) FROM jobs WHERE id = {id} AND end_time IS NOT NULL") == 1,
            $"job {id} ends", 60 + measured / 10.0, pollMs: 50);
}
