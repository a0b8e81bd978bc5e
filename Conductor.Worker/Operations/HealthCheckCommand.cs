using Conductor.Core.Operations;
using Npgsql;

namespace Conductor.Worker.Operations;

/// <summary>
/// <c>health-check [--json] [--repair] [--api-url URL] [--lease 30s] [--pending-threshold 10m]</c>:
/// the services, whether jobs of different accounts are kept apart (a worker that is not root
/// cannot: WARNING), then the invariants of FAULT_TOLERANCE.md. With <c>--repair</c> the safe repairs run
/// first and the checks report the state after them. Exit code = the worst status, in the
/// monitoring-plugin convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
/// </summary>
internal static class HealthCheckCommand
{
    public const string Name = "health-check";
    public const string Usage = "health-check [--json] [--repair] [--api-url URL] [--lease 30s] [--pending-threshold 10m]";
    public const string DefaultApiUrl = "http://127.0.0.1:8000";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken ct)
    {
        var options = CommandArgs.Parse(args, new HashSet<string> { "--json", "--repair" },
            new HashSet<string> { "--api-url", "--lease", "--pending-threshold" });
        var lease = options.Duration("--lease");
        var pendingAge = options.Duration("--pending-threshold");
        if (options.Error is { } error)
        {
            await Console.Error.WriteLineAsync($"UNKNOWN: {error}\nusage: {Usage}");
            return (int)CheckStatus.Unknown;
        }

        await using var context = OperationsContext.Create();
        var thresholds = new HealthThresholds(lease ?? TimeSpan.FromSeconds(context.Worker.LeaseSeconds),
            pendingAge ?? HealthThresholds.Default.PendingAge);
        var apiUrl = options.Value("--api-url") ?? Environment.GetEnvironmentVariable("CONDUCTOR_API_URL") ?? DefaultApiUrl;

        var database = await ServiceChecks.DatabaseAsync(context.Get<NpgsqlDataSource>(), ct);
        List<CheckResult> checks = [database, await ServiceChecks.RedisAsync(context.Redis, ct), await ServiceChecks.ApiAsync(apiUrl, ct)];
        checks.AddRange(ContainmentChecks.All(context.Worker));
        IReadOnlyList<RepairResult> repairs = [];
        if (database.Status == CheckStatus.Ok)
            repairs = await InvariantsAsync(context, thresholds, options.Has("--repair"), checks, ct);
        else
            checks.Add(new CheckResult("invariants", CheckStatus.Unknown, "not checked: the database is not usable"));

        var status = CheckStatuses.Worst(checks);
        ReportWriter.WriteHealth(output, options.Has("--json"), status, checks, repairs);
        return (int)status;
    }

    private static async Task<IReadOnlyList<RepairResult>> InvariantsAsync(OperationsContext context, HealthThresholds thresholds,
        bool repair, List<CheckResult> checks, CancellationToken ct)
    {
        IReadOnlyList<RepairResult> repairs = [];
        try
        {
            if (repair) repairs = await context.Get<SafeRepairs>().ApplyAsync(thresholds.Lease, ct);
            checks.AddRange(await context.Get<InvariantChecks>().RunAllAsync(thresholds, ct));
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The database went away mid-run: what was not checked is unknown, not fine.
            checks.Add(new CheckResult("invariants", CheckStatus.Unknown, $"not checked: {e.Message}"));
        }
        return repairs;
    }
}
