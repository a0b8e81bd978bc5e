namespace Conductor.Core.Operations;

/// <summary>
/// The monitoring-plugin statuses. The numeric values are the process exit codes of
/// Nagios-style plugins; the overall status of a run is the worst one (UNKNOWN outranks
/// nothing but OK: a check that could not run says less than one that found a fault).
/// </summary>
public enum CheckStatus
{
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

/// <summary>One check's verdict. <paramref name="Count"/> is how many offending rows it found.</summary>
/// <param name="Implemented">false for a check that is listed but not performed yet; it never decides the overall status</param>
public sealed record CheckResult(string Name, CheckStatus Status, string Message, long Count = 0, bool Implemented = true)
{
    public static CheckResult Ok(string name, string message) => new(name, CheckStatus.Ok, message);
}

/// <summary>What a repair did: how many rows it changed, and which.</summary>
public sealed record RepairResult(string Name, int Count, string Message);

public static class CheckStatuses
{
    public static string ToWire(this CheckStatus status) => status switch
    {
        CheckStatus.Ok => "OK",
        CheckStatus.Warning => "WARNING",
        CheckStatus.Critical => "CRITICAL",
        _ => "UNKNOWN",
    };

    /// <summary>Severity order for "worst wins": OK &lt; UNKNOWN &lt; WARNING &lt; CRITICAL.</summary>
    private static int Severity(CheckStatus status) => status switch
    {
        CheckStatus.Ok => 0,
        CheckStatus.Unknown => 1,
        CheckStatus.Warning => 2,
        _ => 3,
    };

    public static CheckStatus Worst(IEnumerable<CheckResult> results) =>
        results.Where(r => r.Implemented).Select(r => r.Status)
            .Aggregate(CheckStatus.Ok, (worst, s) => Severity(s) > Severity(worst) ? s : worst);
}
