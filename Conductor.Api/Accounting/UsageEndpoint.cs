using System.Globalization;
using System.Text;
using Conductor.Api.Auth;
using Conductor.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Conductor.Api.Accounting;

/// <summary>
/// <c>GET /accounting/usage?from&amp;to&amp;group_by=account|user|partition&amp;format=json|csv</c>: core-hours,
/// jobs by state, mean wait and mean efficiency of the jobs submitted in [from, to) (default: the
/// last 30 days), computed by SQL from the job rows. A non-admin sees its own account only.
/// </summary>
internal static class UsageEndpoint
{
    public sealed record Response(DateTime From, DateTime To, string GroupBy, IReadOnlyList<UsageRow> Rows);

    public static async Task<Results<Ok<Response>, ContentHttpResult, ValidationProblem>> Handle(
        string? from, string? to, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "group_by")] string? groupBy, string? account, string? format, HttpRequest request, Caller caller, UsageStore usage,
        TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (!TryTime(from, now.AddDays(-30), out var start)) return Problems.Invalid("from", "'from' must be an ISO 8601 date and time such as 2026-12-01T00:00:00Z.");
        if (!TryTime(to, now.AddSeconds(1), out var end)) return Problems.Invalid("to", "'to' must be an ISO 8601 date and time such as 2026-12-02T00:00:00Z.");
        if (end <= start) return Problems.Invalid("to", "'to' must be after 'from'.");
        if (!Enum.TryParse<UsageGroup>(groupBy ?? "account", ignoreCase: true, out var group) || int.TryParse(groupBy, out _))
            return Problems.Invalid("group_by", "'group_by' must be account, user or partition.");
        var csv = format?.ToLowerInvariant() switch
        {
            null => request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase),
            "csv" => true,
            "json" => false,
            _ => (bool?)null,
        };
        if (csv is null) return Problems.Invalid("format", "'format' must be json or csv.");
        if (account is not null && (account.Length > 128 || account.Any(char.IsControl))) return Problems.Invalid("account", "'account' is not an account name.");
        // Another account's usage does not exist for a non-admin: its own, whatever it asked.
        var scope = caller.IsAdmin ? account : caller.Account;
        if (!caller.IsAdmin && account is not null && !caller.Owns(account)) return TypedResults.Ok(new Response(start, end, Name(group), []));
        var rows = await usage.UsageAsync(start, end, group, scope, ct);
        if (csv == true) return TypedResults.Text(Csv(group, rows), "text/csv", Encoding.UTF8);
        return TypedResults.Ok(new Response(start, end, Name(group), rows));
    }

    private static string Name(UsageGroup group) => group.ToString().ToLowerInvariant();

    private static bool TryTime(string? text, DateTime fallback, out DateTime at)
    {
        at = fallback;
        if (text is null) return true;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) || parsed.Year is < 1970 or >= 2100)
            return false;
        at = parsed.UtcDateTime;
        return true;
    }

    /// <summary>RFC 4180: a header line, then a line per group; a group name with a comma, quote or newline is quoted.</summary>
    private static string Csv(UsageGroup group, IReadOnlyList<UsageRow> rows)
    {
        var text = new StringBuilder();
        text.Append(Name(group)).Append(",core_hours,jobs,pending,running,completed,failed,cancelled,mean_wait_seconds,mean_cpu_efficiency,mean_memory_efficiency\r\n");
        foreach (var r in rows)
            text.Append(CultureInfo.InvariantCulture, $"{Quote(r.Group)},{r.CoreHours:0.######},{r.Jobs},{r.Pending},{r.Running},{r.Completed},{r.Failed},{r.Cancelled},")
                .Append(CultureInfo.InvariantCulture, $"{r.MeanWaitSeconds:0.###},{r.MeanCpuEfficiency:0.####},{r.MeanMemoryEfficiency:0.####}\r\n");
        return text.ToString();
    }

    private static string Quote(string s)
    {
        // A leading =, +, - or @ would run as a formula in a spreadsheet.
        if (s.Length > 0 && s[0] is '=' or '+' or '-' or '@') s = "'" + s;
        return s.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
    }
}
