using System.Text.Json;

namespace Conductor.Api.Jobs;

/// <summary>
/// Nothing in a submit body is silently ignored: a field Conductor does not know, or one in the
/// wrong place (<c>array</c> beside <c>job</c> instead of inside it), is an error naming it and
/// the nearest known name ("did you mean 'job.cpus_per_task'?"). A typo such as <c>time_limt</c>
/// would otherwise run the job with no time limit. Every field of SCNS-Conductor's request model
/// is known (all of them are implemented).
/// </summary>
internal static class KnownFields
{
    public static readonly string[] Top = ["job", "script"];

    /// <summary>SCNS-Conductor's JobSpec fields first, then Conductor's additions.</summary>
    public static readonly string[] Job =
    [
        "account", "environment", "current_working_directory", "standard_output", "standard_error", "ntasks_per_node",
        "cpus_per_task", "memory_per_node", "name", "time_limit", "partition", "exclusive",
        "priority", "dependency", "begin_time", "max_retries", "retry_delay", "retry_backoff", "array", "hold", "requeue", "gpus", "gres",
    ];

    public static void Check(JsonElement root, JsonElement job, string prefix, FieldErrors errors)
    {
        string At(string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";
        foreach (var p in root.EnumerateObject())
        {
            if (Top.Contains(p.Name, StringComparer.Ordinal)) continue;
            var field = At(Shown(p.Name));
            if (Job.Contains(p.Name, StringComparer.Ordinal))
                errors.Add(field, $"'{field}' belongs inside 'job': did you mean '{At("job." + p.Name)}'?");
            else
                errors.Add(field, $"'{field}' is not a field of a submit body{Suggest(p.Name, Top.Concat(Job.Select(j => "job." + j)), At)}.");
        }
        if (job.ValueKind != JsonValueKind.Object) return;
        foreach (var p in job.EnumerateObject())
        {
            if (Job.Contains(p.Name, StringComparer.Ordinal)) continue;
            var field = At("job." + Shown(p.Name));
            if (Top.Contains(p.Name, StringComparer.Ordinal))
                errors.Add(field, $"'{field}' belongs beside 'job', not inside it: did you mean '{At(p.Name)}'?");
            else
                errors.Add(field, $"'{field}' is not a field of 'job'{Suggest(p.Name, Job.Select(j => "job." + j), At)}.");
        }
    }

    /// <summary>A name as errors show it: a megabyte-long key is not echoed back whole.</summary>
    private static string Shown(string name) => name.Length <= 64 ? name : name[..64] + "...";

    /// <summary>", did you mean 'x'?" for the nearest name within a few edits, else a pointer to the list.</summary>
    private static string Suggest(string name, IEnumerable<string> candidates, Func<string, string> at)
    {
        var lower = name.ToLowerInvariant().Replace('-', '_');
        static string Bare(string c) => c.StartsWith("job.", StringComparison.Ordinal) ? c[4..] : c;
        // "cpus" for cpus_per_task, "memory" for memory_per_node: a known name's beginning is close too.
        var best = candidates
            .Select(c => (Name: c, Distance: lower.Length >= 3 && Bare(c).StartsWith(lower, StringComparison.Ordinal) ? 1 : Distance(lower, Bare(c))))
            .MinBy(c => c.Distance);
        return best.Name is not null && best.Distance <= Math.Max(2, lower.Length / 3)
            ? $": did you mean '{at(best.Name)}'?"
            : " (see GET /openapi/v1.json or the README for the fields)";
    }

    /// <summary>Levenshtein distance with adjacent transpositions (optimal string alignment).</summary>
    internal static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64) return int.MaxValue;
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
