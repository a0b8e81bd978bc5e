using Conductor.Core.Operations;
using Npgsql;

namespace Conductor.Worker.Operations;

/// <summary>
/// <c>cleanup [--older-than 30d] [--expire-pending-after 2d] [--dry-run] [--json] [--batch-size 1000] [--data-dir DIR]</c>:
/// nightly housekeeping (see <see cref="JobCleanup"/>). Job directories are taken from
/// <c>--data-dir</c> or <c>Conductor__Worker__DataDir</c>, the same place the worker writes them.
/// Exit code 0 when it ran (whether or not there was work), 2 when the database failed, 3 on usage errors.
/// </summary>
internal static class CleanupCommand
{
    public const string Name = "cleanup";
    public const string Usage = "cleanup [--older-than 30d] [--expire-pending-after 2d] [--dry-run] [--json] [--batch-size 1000] [--data-dir DIR]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken ct)
    {
        var a = CommandArgs.Parse(args, new HashSet<string> { "--dry-run", "--json" },
            new HashSet<string> { "--older-than", "--expire-pending-after", "--batch-size", "--data-dir" });
        var retention = a.Duration("--older-than") ?? CleanupOptions.DefaultRetention;
        var expire = a.Duration("--expire-pending-after");
        var batch = a.Int("--batch-size", 1, 100_000) ?? 1000;
        if (a.Error is { } error)
        {
            await Console.Error.WriteLineAsync($"cleanup: {error}\nusage: {Usage}");
            return (int)CheckStatus.Unknown;
        }

        await using var context = OperationsContext.Create();
        var options = new CleanupOptions(retention, expire, a.Has("--dry-run"), a.Value("--data-dir") ?? context.Worker.DataDir, batch);
        try
        {
            var report = await context.Get<JobCleanup>().RunAsync(options, ct);
            ReportWriter.WriteCleanup(output, a.Has("--json"), report);
            return 0;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await Console.Error.WriteLineAsync($"cleanup: the database failed: {e.Message}");
            return (int)CheckStatus.Critical;
        }
    }
}
