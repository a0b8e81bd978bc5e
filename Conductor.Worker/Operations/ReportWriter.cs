using System.Text.Json;
using Conductor.Core.Operations;

namespace Conductor.Worker.Operations;

/// <summary>
/// Text for people and cron mail (one line per check, <c>STATUS: name: message</c>), or one JSON
/// document for machines. The JSON names are part of the contract: status, checks[name, status,
/// message, count], repairs[name, count, message].
/// </summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static void WriteHealth(TextWriter output, bool json, CheckStatus status, IReadOnlyList<CheckResult> checks,
        IReadOnlyList<RepairResult> repairs)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                Status = status.ToWire(),
                Checks = checks.Select(c => new { c.Name, Status = c.Status.ToWire(), c.Message, c.Count, c.Implemented }),
                Repairs = repairs.Select(r => new { r.Name, r.Count, r.Message }),
            }, Json));
            return;
        }
        foreach (var repair in repairs) output.WriteLine($"REPAIRED: {repair.Name}: {repair.Message}");
        foreach (var check in checks) output.WriteLine($"{check.Status.ToWire()}: {check.Name}: {check.Message}");
    }

    public static void WriteCleanup(TextWriter output, bool json, CleanupReport report)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, Json));
            return;
        }
        var prefix = report.DryRun ? "DRY RUN: " : "";
        foreach (var message in report.Messages) output.WriteLine(prefix + message);
    }
}
