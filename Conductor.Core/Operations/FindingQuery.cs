using Npgsql;

namespace Conductor.Core.Operations;

/// <summary>
/// Runs a check's SQL, whose rows are one human-readable finding each (built with
/// <c>format()</c> in the query), and turns them into a verdict quoting the first few.
/// </summary>
internal static class FindingQuery
{
    private const int Quoted = 5;

    public static async Task<List<string>> FindingsAsync(NpgsqlDataSource db, string sql, CancellationToken ct,
        params (string Name, TimeSpan Value)[] intervals)
    {
        await using var cmd = db.CreateCommand(sql);
        foreach (var (name, value) in intervals)
            cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.Interval) { Value = value });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var findings = new List<string>();
        while (await reader.ReadAsync(ct)) findings.Add(reader.GetString(0));
        return findings;
    }

    public static CheckResult Verdict(string name, List<string> findings, CheckStatus whenFound, string okMessage, string problem)
    {
        if (findings.Count == 0) return CheckResult.Ok(name, okMessage);
        var quoted = string.Join("; ", findings.Take(Quoted)) + (findings.Count > Quoted ? $"; and {findings.Count - Quoted} more" : "");
        return new CheckResult(name, whenFound, $"{findings.Count} {problem}: {quoted}", findings.Count);
    }
}
