using System.Text.RegularExpressions;

namespace Conductor.Bench;

/// <summary>One statement's share of a measured run, per job (nested = run inside a function or DO block).</summary>
public sealed record PgTopStatement(string Query, bool Nested, double CallsPerJob, double MsPerJob, double MsPerCall,
    double RowsPerCall, double WalBytesPerJob, double BlocksDirtiedPerJob);

/// <summary>
/// What PostgreSQL did per job during a measured run: the difference of two
/// <see cref="PgSnapshot"/>s divided by the number of jobs. Statement figures count top-level
/// statements only (pg_stat_statements.track=all also lists the statements functions run, whose
/// counters their caller's already include); the bench's own probes are left out, and so are the
/// commits of their one-statement transactions.
/// </summary>
public sealed partial record PgReport(int Jobs, string? Unavailable,
    double StatementsPerJob, double RowsPerJob, double ExecMsPerJob, double CommitsPerJob, double RollbacksPerJob,
    double StatementWalBytesPerJob, double StatementWalRecordsPerJob, double StatementWalFpiPerJob,
    double WalBytesPerJob, double WalRecordsPerJob, double WalFpiPerJob, double WalWritesPerJob, double WalSyncsPerJob,
    double BlocksHitPerJob, double BlocksReadPerJob, double BlocksDirtiedPerJob,
    double? JobsHotPercent, double? AllocationsHotPercent, long Autovacuums, long Autoanalyzes,
    List<PgTopStatement> Statements)
{
    /// <summary>The top-level statements whose text matches, together: calls per job, mean ms per call, ms per job.</summary>
    public static (double CallsPerJob, double MsPerCall, double MsPerJob) Matching(PgSnapshot before, PgSnapshot after, int jobs, Func<string, bool> match)
    {
        var matched = Delta(before, after).Where(s => s.TopLevel && !IsBench(s) && match(s.Query)).ToList();
        var calls = matched.Sum(s => s.Calls);
        var ms = matched.Sum(s => s.TotalMs);
        return ((double)calls / jobs, calls == 0 ? double.NaN : ms / calls, ms / jobs);
    }

    private static List<PgStatement> Delta(PgSnapshot before, PgSnapshot after) =>
        after.Statements
            .Select(kv => (kv.Value, Before: before.Statements.GetValueOrDefault(kv.Key)))
            .Select(s => s.Before is null ? s.Value : s.Value with
            {
                Calls = s.Value.Calls - s.Before.Calls, TotalMs = s.Value.TotalMs - s.Before.TotalMs, Rows = s.Value.Rows - s.Before.Rows,
                BlocksHit = s.Value.BlocksHit - s.Before.BlocksHit, BlocksRead = s.Value.BlocksRead - s.Before.BlocksRead,
                BlocksDirtied = s.Value.BlocksDirtied - s.Before.BlocksDirtied, WalRecords = s.Value.WalRecords - s.Before.WalRecords,
                WalFpi = s.Value.WalFpi - s.Before.WalFpi, WalBytes = s.Value.WalBytes - s.Before.WalBytes,
            })
            .Where(s => s.Calls > 0)
            .ToList();

    public static PgReport Diff(PgSnapshot before, PgSnapshot after, int jobs)
    {
        double N(double v) => v / jobs;
        var delta = Delta(before, after);
        var benchCalls = delta.Where(s => s.TopLevel && IsBench(s)).Sum(s => s.Calls);
        var top = delta.Where(s => s.TopLevel && !IsBench(s)).ToList();
        double? Hot(string table) =>
            after.Tables.GetValueOrDefault(table) is { } a && before.Tables.GetValueOrDefault(table) is { } b && a.Updates > b.Updates
                ? 100.0 * (a.HotUpdates - b.HotUpdates) / (a.Updates - b.Updates)
                : null;
        long Maintenance(Func<PgTable, long> counter) =>
            after.Tables.Sum(t => counter(t.Value) - (before.Tables.GetValueOrDefault(t.Key) is { } b ? counter(b) : 0));
        var statements = delta.Where(s => !IsBench(s)).OrderByDescending(s => s.TotalMs).Take(12)
            .Select(s => new PgTopStatement(Short(s.Query), !s.TopLevel, N(s.Calls), N(s.TotalMs), s.TotalMs / s.Calls,
                (double)s.Rows / s.Calls, N((double)s.WalBytes), N(s.BlocksDirtied)))
            .ToList();
        return new(jobs, after.Unavailable ?? before.Unavailable,
            N(top.Sum(s => s.Calls)), N(top.Sum(s => s.Rows)), N(top.Sum(s => s.TotalMs)),
            N(after.Commits - before.Commits - benchCalls), N(after.Rollbacks - before.Rollbacks),
            N((double)top.Sum(s => s.WalBytes)), N(top.Sum(s => s.WalRecords)), N(top.Sum(s => s.WalFpi)),
            N((double)(after.Wal.Bytes - before.Wal.Bytes)), N(after.Wal.Records - before.Wal.Records), N(after.Wal.Fpi - before.Wal.Fpi),
            N(after.Wal.Writes - before.Wal.Writes), N(after.Wal.Syncs - before.Wal.Syncs),
            N(top.Sum(s => s.BlocksHit)), N(top.Sum(s => s.BlocksRead)), N(top.Sum(s => s.BlocksDirtied)),
            Hot("jobs"), Hot("allocations"), Maintenance(t => t.Autovacuums), Maintenance(t => t.Autoanalyzes), statements);
    }

    /// <summary>The figures for the results table: name (after "PG per job: "), value, unit.</summary>
    public IEnumerable<(string Name, double Value, string Unit)> Figures()
    {
        if (Unavailable is not null) yield break;
        yield return ("statements", StatementsPerJob, "stmt");
        yield return ("rows", RowsPerJob, "rows");
        yield return ("statement time", ExecMsPerJob, "ms");
        yield return ("commits", CommitsPerJob, "xact");
        yield return ("WAL bytes (cluster)", WalBytesPerJob, "B");
        yield return ("WAL bytes (statements)", StatementWalBytesPerJob, "B");
        yield return ("WAL records", WalRecordsPerJob, "rec");
        yield return ("WAL full-page images", WalFpiPerJob, "fpi");
        yield return ("WAL writes", WalWritesPerJob, "write");
        yield return ("WAL fsyncs", WalSyncsPerJob, "fsync");
        yield return ("shared blocks hit", BlocksHitPerJob, "blk");
        yield return ("shared blocks read", BlocksReadPerJob, "blk");
        yield return ("shared blocks dirtied", BlocksDirtiedPerJob, "blk");
        if (JobsHotPercent is { } j) yield return ("HOT updates, jobs", j, "%");
        if (AllocationsHotPercent is { } a) yield return ("HOT updates, allocations", a, "%");
        yield return ("autovacuum runs in the run", Autovacuums, "runs");
    }

    /// <summary>The statement breakdown, most time first.</summary>
    public void Print(string title)
    {
        if (Unavailable is not null)
        {
            Console.WriteLine($"{title}: {Unavailable}");
            return;
        }
        PrintStatements($"{title}: top statements by time (per job; autovacuum {Autovacuums}, autoanalyze {Autoanalyzes} runs)", Statements);
    }

    public static void PrintStatements(string title, IEnumerable<PgTopStatement> statements)
    {
        Console.WriteLine(title);
        Console.WriteLine($"  {"calls/job",9} {"ms/job",8} {"ms/call",8} {"rows/call",9} {"WAL B/job",9}  statement");
        foreach (var s in statements)
            Console.WriteLine($"  {s.CallsPerJob,9:0.###} {s.MsPerJob,8:0.###} {s.MsPerCall,8:0.###} {s.RowsPerCall,9:0.##} {s.WalBytesPerJob,9:0}  {(s.Nested ? "(nested) " : "")}{s.Query}");
    }

    private static bool IsBench(PgStatement s) => s.Query.TrimStart().StartsWith(PgSnapshot.BenchTag, StringComparison.Ordinal);

    /// <summary>
    /// pg_stat_statements' normalised text ($1 for constants), whitespace collapsed, runs of
    /// parameters shortened ("$1, $2, $3" to "$1..$3"), first 80 characters.
    /// </summary>
    private static string Short(string query)
    {
        var flat = Spaces().Replace(query, " ").Trim();
        flat = ParameterRuns().Replace(flat, m => $"{m.Groups[1].Value}..{m.Groups[2].Value}");
        return flat.Length <= 80 ? flat : flat[..80] + "…";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"(\$\d+)(?:, ?\$\d+)*, ?(\$\d+)")]
    private static partial Regex ParameterRuns();
}
