namespace Conductor.Bench;

/// <summary>The per-job cost figures of a scenario's measured runs (medians over the runs), for the table and results.json.</summary>
public static class CostFigures
{
    public static IEnumerable<Figure> From(string scenario, string mode, IReadOnlyList<RunCost> runs)
    {
        Figure Median(string name, IEnumerable<double> values, string unit)
        {
            var list = values.ToList();
            return new(scenario, $"{mode}: {name}", Stats.Median(list), unit, "-", null, list);
        }
        foreach (var part in runs.SelectMany(r => r.CpuMsPerJob.Keys).Distinct())
            yield return Median($"CPU per job: {part}", runs.Select(r => r.CpuMsPerJob.GetValueOrDefault(part)), "ms");
        if (runs.All(r => r.Pg.Unavailable is null))
        {
            var names = runs[0].Pg.Figures().Select(f => (f.Name, f.Unit)).ToList();
            foreach (var (name, unit) in names)
                yield return Median($"PG per job: {name}", runs.Select(r => r.Pg.Figures().FirstOrDefault(f => f.Name == name).Value), unit);
        }
        foreach (var part in runs.SelectMany(r => r.RuntimePerJob.Keys).Distinct())
            foreach (var counter in RuntimeCounters.Names.Values)
            {
                // GCs and contentions are rare per job: counted per 1,000 jobs to stay readable.
                var perThousand = counter.Contains("GC") || counter.Contains("contention") || counter == "exceptions";
                var values = runs.Select(r => r.RuntimePerJob.GetValueOrDefault(part)?.GetValueOrDefault(counter) ?? 0).Select(v => perThousand ? v * 1000 : v);
                yield return Median($"{part} {counter} per {(perThousand ? "1000 jobs" : "job")}", values, counter == "allocated bytes" ? "B" : "");
            }
        foreach (var part in runs.SelectMany(r => r.WakeupsPerJob.Keys).Distinct())
            yield return Median($"thread wake-ups per job: {part}", runs.Select(r => r.WakeupsPerJob.GetValueOrDefault(part)), "switches");
    }

    /// <summary>The statement breakdown for results.json: one entry per run.</summary>
    public static object Statements(IReadOnlyList<RunCost> runs) => runs.Select(r => new
    {
        jobs = r.Pg.Jobs,
        unavailable = r.Pg.Unavailable,
        autovacuum_runs = r.Pg.Autovacuums,
        autoanalyze_runs = r.Pg.Autoanalyzes,
        statements = StatementsJson(r.Pg.Statements),
    }).ToList();

    /// <summary>One run's top statements as results.json spells them.</summary>
    public static object StatementsJson(IEnumerable<PgTopStatement> statements) => statements.Select(s => new
    {
        query = s.Query, nested = s.Nested, calls_per_job = Math.Round(s.CallsPerJob, 4), ms_per_job = Math.Round(s.MsPerJob, 4),
        ms_per_call = Math.Round(s.MsPerCall, 4), rows_per_call = Math.Round(s.RowsPerCall, 3),
        wal_bytes_per_job = Math.Round(s.WalBytesPerJob, 1), blocks_dirtied_per_job = Math.Round(s.BlocksDirtiedPerJob, 3),
    }).ToList();
}
